// Which handler a request goes to. Pure, so unknown paths and wrong methods are unit-tested.

export type Route =
  | { readonly kind: 'list' }
  | { readonly kind: 'create' }
  | { readonly kind: 'get'; readonly rawId: string }
  | { readonly kind: 'update'; readonly rawId: string }
  | { readonly kind: 'remove'; readonly rawId: string }
  | { readonly kind: 'health' }
  | { readonly kind: 'version' }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

export function route(method: string, pathname: string): Route {
  // A trailing slash is the same resource: nginx and some clients add one.
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const segments = path.split('/').slice(1);

  if (path === '/healthz') return method === 'GET' || method === 'HEAD' ? { kind: 'health' } : notAllowed(['GET', 'HEAD']);
  if (path === '/version') return method === 'GET' ? { kind: 'version' } : notAllowed(['GET']);

  if (segments[0] !== 'todos') return { kind: 'not-found' };
  if (segments.length === 1) {
    if (method === 'GET') return { kind: 'list' };
    if (method === 'POST') return { kind: 'create' };
    return notAllowed(['GET', 'POST']);
  }
  const rawId = segments[1];
  if (segments.length === 2 && rawId !== undefined && rawId !== '') {
    if (method === 'GET') return { kind: 'get', rawId };
    if (method === 'PATCH') return { kind: 'update', rawId };
    if (method === 'DELETE') return { kind: 'remove', rawId };
    return notAllowed(['GET', 'PATCH', 'DELETE']);
  }
  return { kind: 'not-found' };
}

function notAllowed(allow: readonly string[]): Route {
  return { kind: 'method-not-allowed', allow };
}
