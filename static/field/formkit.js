// What the cleanup and problem forms share: a draft kept in IndexedDB as it is filled in (cheap phones
// often kill the tab while the camera app is open), photos stored with it, and a submit that queues
// a record exactly once however often it is tapped.
import { el, start, syncNow, t, toast, uuid4 } from './common.js';
import { fieldMap } from './fieldmap.js';
import { LocationPicker } from './location.js';
import * as outbox from './outbox.js';
import { PhotoError, preparePhoto } from './photos.js';
import * as store from './store.js';

export class Draft {
  constructor(form, { getExtra = () => ({}), setExtra = () => {} } = {}) {
    this.form = form;
    this.key = `draft:${form.id}`;
    this.getExtra = getExtra;
    this.setExtra = setExtra;
    this.timer = null;
    form.addEventListener('input', () => this.saveSoon());
    form.addEventListener('change', () => this.saveSoon());
  }

  values() {
    const values = {};
    for (const field of this.form.elements) {
      if (!field.name || field.type === 'file' || field.type === 'submit') continue;
      if (field.type === 'radio' || field.type === 'checkbox') {
        if (field.checked) values[field.name] = field.value;
      } else {
        values[field.name] = field.value;
      }
    }
    return values;
  }

  saveSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), 300);
  }

  save() {
    clearTimeout(this.timer);
    return store.remember(this.key, { values: this.values(), extra: this.getExtra() }).catch(() => {});
  }

  // Puts back what was being filled in before the tab went away; true if there was something.
  async restore() {
    const saved = await store.cached(this.key);
    if (!saved || !saved.data) return false;
    const { values, extra } = saved.data;
    for (const field of this.form.elements) {
      if (!field.name || !(field.name in values) || field.type === 'file') continue;
      if (field.type === 'radio' || field.type === 'checkbox') field.checked = field.value === values[field.name];
      else field.value = values[field.name];
    }
    this.setExtra(extra || {});
    return true;
  }

  // Inside the transaction that queues the record: the draft and its photos go with it.
  clearIn(stores) {
    stores.cache.delete(this.key);
    return store.deleteByIndex(stores.photos, 'record', this.key);
  }
}

export class PhotoStrip {
  constructor(strip, input, draft) {
    this.strip = strip;
    this.draft = draft;
    this.photos = [];
    input.addEventListener('change', async () => {
      const files = [...input.files];
      input.value = '';
      for (const file of files) {
        try {
          const prepared = await preparePhoto(file);
          const photo = { id: uuid4(), record: draft.key, blob: prepared.blob, name: prepared.name, created: Date.now() };
          await store.put('photos', photo);  // on the phone before it is shown
          this.photos.push({ ...photo, url: URL.createObjectURL(photo.blob) });
        } catch (error) {
          toast(error instanceof PhotoError ? error.message : t('storage_failed', { reason: String(error) }), { error: true });
        }
      }
      this.render();
    });
  }

  async restore() {
    const saved = (await store.photosOf(this.draft.key)).sort((a, b) => a.created - b.created);
    this.photos = saved.map((photo) => ({ ...photo, url: URL.createObjectURL(photo.blob) }));
    this.render();
  }

  render() {
    this.strip.replaceChildren(...this.photos.map((photo) => el('figure', { class: 'thumb' },
      el('img', { src: photo.url, alt: '' }),
      el('button', {
        type: 'button', class: 'remove', 'aria-label': t('photo_remove'),
        onclick: async () => {
          await store.remove('photos', photo.id);
          this.photos = this.photos.filter((p) => p !== photo);
          URL.revokeObjectURL(photo.url);
          this.render();
        },
      }, '×'))));
  }

  forget() {
    this.photos.forEach((photo) => URL.revokeObjectURL(photo.url));
    this.photos = [];
    this.render();
  }
}

// build(uuid) returns the queue item, or null when the person decided not to send after all (nothing is
// queued), or throws an Error whose message is shown. The uuid is fixed until
// a record has been queued, so a double tap (or a tap after a slow save) finds it already queued. Once
// queued, the form gives way to a confirmation: a late second tap has nothing left to submit.
export function submitOnce(form, button, errorBox, draft, build, { onQueued }) {
  let recordUuid = uuid4();
  let saving = false;
  const done = document.getElementById('done-card');
  const doneText = document.getElementById('done-text');
  document.getElementById('record-again').addEventListener('click', () => {
    done.hidden = true;
    form.hidden = false;
    window.scrollTo(0, 0);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (saving || form.hidden) return;
    saving = true;
    button.disabled = true;
    errorBox.hidden = true;
    let queuedUuid = null;
    try {
      const item = await build(recordUuid);
      if (item === null) return;
      const added = await outbox.enqueue(item, { extraStores: ['cache', 'photos'], extra: (stores) => draft.clearIn(stores) });
      queuedUuid = recordUuid;
      recordUuid = uuid4();
      if (added) {
        onQueued();
        form.hidden = true;
        done.hidden = false;
        doneText.textContent = t('saved_offline');
        window.scrollTo(0, 0);
      }
    } catch (error) {
      errorBox.textContent = error.message;
      errorBox.hidden = false;
    } finally {
      saving = false;
      button.disabled = false;
    }
    if (queuedUuid) {
      // Not awaited under the form's lock: the next record can be started while this one uploads.
      syncNow().then(async () => {
        const stored = await store.get('outbox', queuedUuid);
        if (stored && stored.status === 'sent' && !done.hidden) doneText.textContent = t('saved_sent');
      });
    }
  });
}

// A form about a place (cleanup, problem report): the map with GPS or a tap, the draft, the photos.
// restore(onFresh) puts back a half-filled form, or calls onFresh when there was none, then locates.
export function placeForm(form) {
  const $ = (id) => document.getElementById(id);
  const { map, ready } = fieldMap($('field-map'));
  start({ ready });
  let draft = null;
  const location = new LocationPicker(map, $('location-status'), () => draft.saveSoon());
  draft = new Draft(form, {
    getExtra: () => ({ location: location.value }),
    setExtra: (extra) => { if (extra.location) location.set(extra.location); },
  });
  $('use-gps').addEventListener('click', () => location.locate());
  const photos = new PhotoStrip($('photo-strip'), $('photo-input'), draft);
  const restore = async (onFresh = () => {}) => {
    if (!(await draft.restore())) onFresh();
    await photos.restore();
    if (!location.value || location.value.source === 'gps') location.locate();
  };
  return { map, location, draft, photos, restore };
}
