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

// The captcha's "new picture" link: POST to the refresh endpoint (with the XSRF token, as for the
// avatar) for a fresh challenge as JSON, and swap the picture and its token in place, so nothing
// typed in the form is lost. Without script the link reloads the form, with a new picture.
const newPicture = document.getElementById("captcha-new");
if (newPicture) {
  newPicture.addEventListener("click", async (event) => {
    event.preventDefault();
    const response = await fetch(newPicture.dataset.refresh, {
      method: "POST",
      headers: { Accept: "application/json", "X-XSRFToken": getCookie("_xsrf") || "" },
      credentials: "same-origin",
    });
    const result = await response.json().catch(() => ({ error: response.statusText }));
    let error = document.getElementById("captcha-new-error");
    if (response.ok && result.token) {
      document.getElementById("captcha-image").src = result.image;
      document.getElementById("captcha-token").value = result.token;
      const answer = document.getElementById("captcha-answer");
      answer.value = "";
      answer.focus();
      if (error) error.remove();
      return;
    }
    if (!error) {
      error = document.createElement("p");
      error.id = "captcha-new-error";
      error.className = "error";
      error.setAttribute("role", "alert");
      newPicture.closest(".captcha").append(error);
    }
    error.textContent = result.error || response.statusText;
  });
}
