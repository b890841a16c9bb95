// An ordinary deferred script, run after the browser-check.js module (deferred scripts and modules
// run in page order): where that module did not run, this browser is too old for the app.
if (document.documentElement.getAttribute('data-browser-ok') !== 'yes') {
  document.getElementById('old-browser').hidden = false;
}
