/** The sign-in page: explains why the officer is here. The form itself posts without script. */
import { byId } from "../dom.js";

const MESSAGES = /** @type {Record<string, string>} */ ({
  session: "Your session has ended or the page needs an oversight credential. Sign in again.",
  invalid: "That credential was not accepted.",
  invalid_token: "That credential was not accepted.",
  OVERSIGHT_CREDENTIAL_REQUIRED: "That credential was not accepted.",
  CREDENTIAL_EXPIRED: "That credential has expired (CREDENTIAL_EXPIRED). Ask for a new one.",
  CREDENTIAL_DISABLED: "That account is disabled (CREDENTIAL_DISABLED).",
});

const params = new URLSearchParams(location.search);
const error = params.get("error") ?? (params.get("failed") ? "invalid" : null);
if (error) {
  const region = byId("login-error", HTMLElement);
  region.textContent = MESSAGES[error] ?? "Sign-in failed.";
  region.hidden = false;
}
byId("token", HTMLInputElement).focus();
