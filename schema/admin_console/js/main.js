// The page: signing in and out, and the hash routes #/orders?… (the list) and #/order/<id> (the details).

import * as api from "./api.js";
import { announce, h, labelled, showFailure } from "./dom.js";
import * as details from "./details.js";
import * as list from "./list.js";

const view = document.getElementById("view");
const signOutButton = document.getElementById("sign-out");
const ordersLink = document.getElementById("nav-orders");

function showSignedIn(isSignedIn) {
  signOutButton.hidden = !isSignedIn;
  ordersLink.hidden = !isSignedIn;
}

function renderSignIn(message) {
  showSignedIn(false);
  const input = h("input", { type: "password", name: "token", autocomplete: "off", required: true,
    "data-field": "token", spellcheck: "false" });
  const form = h("form", { class: "sign-in", "aria-labelledby": "sign-in-title" },
    h("h1", { id: "sign-in-title", tabindex: "-1" }, "Signed out"),
    message ? h("p", { class: "notice", role: "alert" }, message) : null,
    h("p", {}, "Paste an ADMIN token (from ", h("code", {}, "ordergraph token create --role ADMIN"),
      "). It is kept in this browser tab only."),
    labelled("Admin token", input),
    h("p", {}, h("button", { type: "submit" }, "Sign in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    api.signIn(input.value.trim());
    try {
      await api.graphql("query SignIn { flows { id } }");  // FORBIDDEN unless the token is an ADMIN token
    } catch (failure) {
      api.signOut();
      if (failure.code !== "UNAUTHENTICATED") showFailure(form, failure);
      return;
    }
    announce("Signed in.");
    // On the list or an order already, show it; anywhere else go to the list (hashchange routes there).
    if (location.hash.startsWith("#/order")) route();
    else location.hash = "#/orders";
  });
  view.replaceChildren(form);
  form.querySelector("h1").focus();
}

let latestRoute = 0;

async function route() {
  // A view whose answer arrives after a newer navigation is not shown.
  const ticket = ++latestRoute;
  const isCurrent = () => ticket === latestRoute;
  if (!api.token()) {
    renderSignIn();
    return;
  }
  showSignedIn(true);
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  const match = path.match(/^\/order\/(.+)$/);
  view.setAttribute("aria-busy", "true");
  try {
    if (match) await details.render(view, decodeURIComponent(match[1]), { isCurrent });
    else await list.render(view, new URLSearchParams(query), isCurrent);
  } catch (failure) {
    if (!isCurrent() || (failure instanceof api.ApiError && failure.code === "UNAUTHENTICATED")) return;  // shown already
    view.replaceChildren(h("h1", { tabindex: "-1" }, "Something went wrong"));
    showFailure(view, failure);
  } finally {
    if (isCurrent()) view.setAttribute("aria-busy", "false");
  }
}

window.addEventListener("ordergraph:signed-out", (event) => {
  renderSignIn(`Signed out: the server refused the token (UNAUTHENTICATED: ${event.detail.message}). ` +
    "Paste a valid ADMIN token to go on.");
});
window.addEventListener("hashchange", () => route());
signOutButton.addEventListener("click", () => {
  api.signOut();
  announce("");
  renderSignIn("You signed out. The token is no longer kept in this tab.");
});

route();
