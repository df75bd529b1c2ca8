// The review page's "Notify this device" button: registers the service worker, subscribes with the stack's VAPID
// public key (PushManager), and posts the subscription with the page's review link, which stores it for the page's
// camera (or every camera). The service worker (sw.js) shows each alert as a notification.
(function () {
  'use strict';
  const box = document.getElementById('push');
  if (!box) { return; }
  const button = box.querySelector('button');
  const status = box.querySelector('.push-status');
  const say = (text, state) => { status.textContent = text; if (state) { box.dataset.state = state; } };
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
    button.hidden = true;
    say('This browser cannot show notifications here (on an iPhone, add the page to the home screen first).',
        'unsupported');
    return;
  }
  const bytes = (text) => {
    const b64 = (text + '='.repeat((4 - text.length % 4) % 4)).replace(/-/g, '+').replace(/_/g, '/');
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  };
  navigator.serviceWorker.onmessage = (event) => {
    const data = event.data || {};
    if (data.type === 'push') {
      box.dataset.last = data.tag || '';
      box.dataset.error = data.error || '';
      say('Last notification: ' + data.title + (data.body ? ' (' + data.body + ')' : ''), 'notified');
    }
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      say('Asking for permission...', 'asking');
      if (await Notification.requestPermission() !== 'granted') {
        throw new Error('notifications are blocked for this page');
      }
      const registration = await navigator.serviceWorker.register('/sw.js');
      await navigator.serviceWorker.ready;
      const keyAnswer = await fetch('/push/key', {cache: 'no-store'});
      if (!keyAnswer.ok) { throw new Error('notifications are not set up on this stack'); }
      const key = (await keyAnswer.json()).public_key;
      const subscription = await registration.pushManager.subscribe(
        {userVisibleOnly: true, applicationServerKey: bytes(key)});
      const answer = await fetch('/push/subscribe', {
        method: 'POST', headers: {'content-type': 'application/json'},
        body: JSON.stringify({c: box.dataset.scope, t: box.dataset.token, subscription: subscription.toJSON()}),
      });
      const said = await answer.json().catch(() => ({}));
      if (!answer.ok) { throw new Error(said.message || 'HTTP ' + answer.status); }
      say(said.message, 'subscribed');
    } catch (error) {
      say('Not subscribed: ' + error.message, 'failed');
    } finally {
      button.disabled = false;
    }
  });
}());
