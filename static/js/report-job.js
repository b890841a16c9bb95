// The report page: follows a background build's progress and reloads when it is done; the print button.
import { fetchJSON } from './util.js';

const POLL_MS = 2000;

function follow(box) {
  const url = box.dataset.jobUrl;
  const bar = box.querySelector('[data-job-progress]');
  const step = box.querySelector('[data-job-step]');
  const poll = async () => {
    try {
      const job = await fetchJSON(url);
      if (bar) bar.value = job.progress;
      if (step) step.textContent = `${job.step}（${job.progress}%）`;
      if (['done', 'failed', 'lost'].includes(job.state)) {
        window.location.reload();
        return;
      }
    } catch (error) {
      // A lost answer on a weak line: try again at the next tick.
    }
    window.setTimeout(poll, POLL_MS);
  };
  window.setTimeout(poll, POLL_MS);
}

const box = document.getElementById('report-job');
if (box && box.dataset.jobUrl && ['queued', 'running'].includes(box.dataset.state)) follow(box);
for (const button of document.querySelectorAll('[data-print]')) {
  button.addEventListener('click', () => window.print());
}
