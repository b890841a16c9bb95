// The page header's controls. Files rather than onchange="…" attributes: the Content-Security-Policy
// runs no inline code.

// The language menu switches as soon as a language is picked (without scripts, its <noscript>
// button sends the form).
for (const select of document.querySelectorAll('select[data-submit-on-change]')) {
  select.addEventListener('change', () => select.form.submit());
}

// The account menu and the counter's help are <details>: they open without scripts; with them, a
// click elsewhere or Escape closes them, as people expect of a menu.
const popups = [...document.querySelectorAll('.site-header details')];
document.addEventListener('click', (event) => {
  for (const popup of popups) if (popup.open && !popup.contains(event.target)) popup.open = false;
});
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  for (const popup of popups) if (popup.open) { popup.open = false; popup.querySelector('summary').focus(); }
});
