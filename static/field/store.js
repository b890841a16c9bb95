// IndexedDB on the phone: everything recorded is written here the moment it is made, so closing
// the tab, a reload or a flat battery never loses it. Stores:
//   outbox  – records waiting to be sent (key: client_uuid), with their photos as Blobs
//   patrol  – the patrol being recorded (one row, key "current")
//   fixes   – its GPS fixes, one row each, written as they arrive
//   photos  – photos taken during that patrol, until it is queued
//   cache   – the last copy of server data (me, teammates, history, tasks, points) for offline screens
const DB_NAME = 'riverwatch-field';
const DB_VERSION = 1;

let opening = null;

export function openDb() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'uuid' });
        if (!db.objectStoreNames.contains('patrol')) db.createObjectStore('patrol', { keyPath: 'key' });
        if (!db.objectStoreNames.contains('fixes')) {
          db.createObjectStore('fixes', { autoIncrement: true }).createIndex('patrol', 'patrol');
        }
        if (!db.objectStoreNames.contains('photos')) {
          db.createObjectStore('photos', { keyPath: 'id' }).createIndex('record', 'record');
        }
        if (!db.objectStoreNames.contains('cache')) db.createObjectStore('cache', { keyPath: 'key' });
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab upgrading the database, or the browser closing the connection: step aside and
        // open a fresh connection next time.
        db.onversionchange = () => { db.close(); opening = null; };
        db.onclose = () => { opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
      // Another tab holds an older version open: its onversionchange closes it, and this open then
      // succeeds by itself, so this is only a wait, not a failure.
      request.onblocked = () => console.warn('IndexedDB upgrade waits for another tab');
    });
  }
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Runs work(stores) in one transaction and resolves when it has been committed to disk, not merely
// queued: a record counts as saved only then. work may only wait on requests of this transaction
// (awaiting anything else lets the transaction commit early); if it fails, nothing is written.
export async function transaction(names, mode, work, { durability = 'strict' } = {}) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability });
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    let result;
    let failure = null;
    Promise.resolve(work(stores, tx)).then((value) => { result = value; }, (error) => {
      failure = error;
      try { tx.abort(); } catch (_) { /* already finished */ }
      reject(error);
    });
    tx.oncomplete = () => (failure ? reject(failure) : resolve(result));
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(failure || tx.error || new Error('transaction aborted'));
  });
}

export const get = (name, key) => transaction([name], 'readonly', (s) => done(s[name].get(key)));
export const getAll = (name) => transaction([name], 'readonly', (s) => done(s[name].getAll()));
export const put = (name, value) => transaction([name], 'readwrite', (s) => done(s[name].put(value)));
// A GPS fix every second: flushing each to disk costs battery, and a crash of the whole phone is
// the only way to lose the last few (closing the tab loses none).
export const putFix = (fix) => transaction(['fixes'], 'readwrite', (s) => done(s.fixes.put(fix)), { durability: 'relaxed' });
export const remove = (name, key) => transaction([name], 'readwrite', (s) => done(s[name].delete(key)));

export const request = done;

export async function fixesOf(patrolUuid) {
  return transaction(['fixes'], 'readonly', (s) => done(s.fixes.index('patrol').getAll(patrolUuid)));
}

export async function photosOf(recordUuid) {
  return transaction(['photos'], 'readonly', (s) => done(s.photos.index('record').getAll(recordUuid)));
}

// Deletes the rows of one record from a store with an index (fixes by patrol, photos by record),
// inside the caller's transaction.
export function deleteByIndex(objectStore, indexName, key) {
  return new Promise((resolve, reject) => {
    const cursorRequest = objectStore.index(indexName).openKeyCursor(IDBKeyRange.only(key));
    cursorRequest.onsuccess = () => {
      const cursor = cursorRequest.result;
      if (!cursor) { resolve(); return; }
      objectStore.delete(cursor.primaryKey);
      cursor.continue();
    };
    cursorRequest.onerror = () => reject(cursorRequest.error);
  });
}

export async function cached(key) {
  const row = await get('cache', key);
  return row ? row : null;
}

export function remember(key, data) {
  return put('cache', { key, data, saved_at: Date.now() });
}
