// Report a problem: category, photo, location, note. Stored with an activity of kind "problem_report"
// until the closed-loop problem list exists.
import { TEXT, isoLocal, knownUserId, t, uuid4 } from './common.js';
import { placeForm, submitOnce } from './formkit.js';

const $ = (id) => document.getElementById(id);
const form = $('problem-form');
const { location, draft, photos, restore } = placeForm(form);
restore();

submitOnce(form, $('submit'), $('form-error'), draft, async (uuid) => {
  const category = (form.querySelector('input[name=category]:checked') || {}).value;
  if (!category) throw new Error(t('need_category'));
  if (!location.value) throw new Error(t('need_location'));
  const now = Date.now();
  const problemUuid = uuid4();
  const point = [location.value.lon, location.value.lat];
  const problem = { client_uuid: problemUuid, category, note: $('note').value.trim(), point, observed_at: isoLocal(now) };
  return {
    uuid, owner: await knownUserId(), kind: 'problem_report', title: TEXT.categories[category],
    summary: { category },
    body: {
      client_uuid: uuid, kind: 'problem_report', started_at: isoLocal(now), ended_at: isoLocal(now),
      point, location_source: location.value.source, problems: [problem],
    },
    photos: photos.photos.map(({ id, blob, name }) => ({ id, blob, name, problem: problemUuid, uploaded: false, error: '' })),
  };
}, {
  onQueued: () => {
    photos.forget();
    form.querySelectorAll('input[name=category]').forEach((radio) => { radio.checked = false; });
    $('note').value = '';
  },
});
