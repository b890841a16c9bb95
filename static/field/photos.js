// Photos are shrunk on the phone before they are queued: the server keeps at most 2048 px anyway,
// and a 6 MB camera file would take minutes on one bar of signal.
import { CONFIG, t } from './page.js';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/webp'];

export class PhotoError extends Error {}

export async function preparePhoto(file) {
  if (!ACCEPTED.includes(file.type)) throw new PhotoError(t('photo_not_image'));
  const limit = CONFIG.photo_max_bytes;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (_) {
    throw new PhotoError(t('photo_not_image'));
  }
  const side = CONFIG.photo_max_side_px;
  const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
  if (scale === 1 && file.size <= limit / 4) {
    bitmap.close();
    return { blob: file, name: file.name || 'photo.jpg' };
  }
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  if (!blob || blob.size > limit) {
    throw new PhotoError(t('photo_too_big', { size: (file.size / 1e6).toFixed(1), max: (limit / 1e6).toFixed(0) }));
  }
  return { blob, name: (file.name || 'photo').replace(/\.\w+$/, '') + '.jpg' };
}
