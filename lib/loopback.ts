/** Is this URL's host this machine (localhost, 127.0.0.0/8, ::1)? For the "http only on loopback" rules. */
export function isLoopbackUrl(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname);
}
