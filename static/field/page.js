// The words and limits the page was rendered with (json_script in field/base.html), read once for
// every module: the scripts themselves stay free of language and settings.
export const TEXT = JSON.parse(document.getElementById('field-text').textContent);
export const CONFIG = JSON.parse(document.getElementById('field-config').textContent);

// A translated sentence with its %(name)s placeholders filled in.
export function t(key, values = {}) {
  return (TEXT[key] || key).replace(/%\((\w+)\)s/g, (_, name) => (name in values ? values[name] : ''));
}
