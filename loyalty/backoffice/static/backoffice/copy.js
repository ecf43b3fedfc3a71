// Copy buttons of the back office: <button data-copy-target="input-id">, the label in [data-copy-label].
// A file, not inline: the admin's policy allows scripts from this site only.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const input = document.getElementById(button.dataset.copyTarget);
  if (!input) return;
  input.select();
  const done = () => {
    const label = button.querySelector("[data-copy-label]");
    if (label && button.dataset.copiedText) label.textContent = button.dataset.copiedText;
    button.dataset.copied = "1";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, () => {
      document.execCommand("copy");
      done();
    });
  } else {
    document.execCommand("copy");
    done();
  }
});
