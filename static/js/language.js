// The language menu in the page header switches as soon as a language is picked (without scripts,
// its <noscript> button sends the form). A file rather than an onchange="…" attribute: the
// Content-Security-Policy runs no inline code.
for (const select of document.querySelectorAll('select[data-submit-on-change]')) {
  select.addEventListener('change', () => select.form.submit());
}
