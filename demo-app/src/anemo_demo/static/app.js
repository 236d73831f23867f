// The AJAX avatar upload of the profile page. Tornado's XSRF check needs the token: read it from
// the _xsrf cookie and send it as the X-XSRFToken header, as the Tornado tutorial shows.
function getCookie(name) {
  const match = document.cookie.match("\\b" + name + "=([^;]*)\\b");
  return match ? decodeURIComponent(match[1]) : undefined;
}

const ajaxForm = document.getElementById("avatar-ajax");
if (ajaxForm) {
  ajaxForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = document.getElementById("avatar-ajax-error");
    error.hidden = true;
    const body = new FormData(ajaxForm);
    const response = await fetch(ajaxForm.action, {
      method: "POST",
      body,
      headers: { "X-XSRFToken": getCookie("_xsrf") || "", "X-Requested-With": "XMLHttpRequest" },
      credentials: "same-origin",
    });
    const result = await response.json().catch(() => ({ errors: { avatar: response.statusText } }));
    if (response.ok && result.avatar_url) {
      document.getElementById("avatar").src = result.avatar_url;
      ajaxForm.dataset.uploaded = result.avatar_url;
    } else {
      error.textContent = Object.values(result.errors || { avatar: result.error || "error" }).join(" ");
      error.hidden = false;
    }
  });
}
