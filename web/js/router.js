// The URL holds the view: "#/name[/id][?params]".

/// The current route: {name, id, params}.
export function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = hash.split('?');
  const [name = '', id = ''] = path.split('/');
  return { name: name || 'dashboard', id: decodeURIComponent(id), params: new URLSearchParams(qs) };
}

/// Goes to "#/name[/id][?params]"; renders again when the URL already holds it (a reload).
export function navigate(name, id, params) {
  const qs = params && params.toString();
  const hash = '#/' + name + (id ? '/' + encodeURIComponent(id) : '') + (qs ? '?' + qs : '');
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
