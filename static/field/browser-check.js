// Loaded as a module (templates/field/base.html). A browser without modules never runs it, and one
// that cannot parse optional chaining (?.) or ?? refuses the whole file: in neither does the mark
// below appear, and old-browser.js shows the "browser too old" notice.
const probe = { a: null };
if ((probe.a?.b ?? 1) === 1 && 'replaceChildren' in document) {
  document.documentElement.dataset.browserOk = 'yes';
}
