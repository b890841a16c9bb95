// The tracking code's copy button (templates/public/thanks.html). Where the clipboard is not
// allowed (an http page, an old browser), the code is selected for a long press instead.
const button = document.getElementById('copy-code');
const code = document.getElementById('tracking-code');
const statusBox = document.getElementById('copy-status');

function selectCode() {
  const range = document.createRange();
  range.selectNodeContents(code);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

button.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(button.dataset.code);
    statusBox.textContent = statusBox.dataset.copied;
  } catch {
    selectCode();
    statusBox.textContent = statusBox.dataset.failed;
  }
});
