// The review page's service worker: each push message (an alert, JSON from the deliveries function, decrypted by the
// browser) becomes a notification; a tap opens the review page. The page, if open, is told too.
'use strict';
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {body: event.data ? event.data.text() : ''};
  }
  const title = data.title || 'videoalert: a person was seen';
  const options = {body: data.body || '', tag: data.tag || undefined, renotify: Boolean(data.tag),
                   data: {url: data.url || '/', camera: data.camera_id || ''}, icon: '/icon.svg'};
  if (data.image) { options.image = data.image; }
  // The open page hears of it once the notification is up (or why it could not be shown).
  event.waitUntil(self.registration.showNotification(title, options).then(() => '', (error) => String(error))
    .then((error) => self.clients.matchAll({type: 'window', includeUncontrolled: true}).then((windows) => {
      windows.forEach((client) => client.postMessage(
        {type: 'push', title: title, body: options.body, tag: data.tag || '', error: error}));
    })));
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(self.clients.openWindow(url));
});
