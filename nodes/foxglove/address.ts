// `--foxglove [HOST:]PORT`: where the live view listens. Loopback unless a host is named, so
// nothing on the vehicle's network can reach the graph by accident.
export interface ListenAddress {
  host: string;
  /** 0 = any free port (tests); the server reports the one it got. */
  port: number;
}

export const DEFAULT_HOST = '127.0.0.1';

/** Parses "8765", "0.0.0.0:8765", "[::1]:8765"; throws an Error that says what is expected. */
export function parseListenAddress(text: string | undefined): ListenAddress {
  const usage = 'expected [HOST:]PORT, e.g. 8765, 127.0.0.1:8765 or 0.0.0.0:8765 (every interface)';
  if (text === undefined || text === '' || text.startsWith('-')) throw new Error(`--foxglove needs an address: ${usage}`);
  let host = DEFAULT_HOST;
  let portText = text;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(text);
  if (v6) {
    host = v6[1];
    portText = v6[2];
  } else if (text.includes(':')) {
    const at = text.lastIndexOf(':');
    host = text.slice(0, at);
    portText = text.slice(at + 1);
    if (host === '' || host.includes(':')) throw new Error(`--foxglove ${text}: ${usage} (an IPv6 host goes in brackets: [::1]:8765)`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new Error(`--foxglove ${text}: "${portText}" is not a port number (0–65535); ${usage}`);
  return { host, port: Number(portText) };
}

/** How to write the address in a URL: a wildcard host is reached through loopback. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** What to open: the plain WebSocket URL and the links that open it in Foxglove and Lichtblick. */
export function openUrls(host: string, port: number): { ws: string; foxglove: string; foxgloveWeb: string; lichtblick: string } {
  const ws = `ws://${urlHost(host)}:${port}`;
  const query = `ds=foxglove-websocket&ds.url=${ws}`;
  return {
    ws,
    foxglove: `foxglove://open?${query}`,
    foxgloveWeb: `https://app.foxglove.dev/~/view?${query}`,
    lichtblick: `lichtblick://open?${query}`,
  };
}
