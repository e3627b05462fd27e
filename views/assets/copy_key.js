// "Copy Key" on the authenticator setup page (a desktop authenticator cannot scan the QR code on its
// own screen). The button appears only where the browser can copy; the key stays selectable anyway.
// Copied without the grouping spaces: some apps refuse them.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(source.textContent.replace(/\s+/g, '')).then(
      () => { button.textContent = 'Copied'; },
      () => { button.textContent = 'Select the key and copy it'; },
    );
  });
}
