// Small DOM helpers: building elements, labelled controls, and userErrors shown beside their control.

/** An element: h("td", { class: "number" }, "12"). Attributes starting with "on" are listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, setting] of Object.entries(attributes ?? {})) {
    if (setting === false || setting === null || setting === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), setting);
    else if (name === "dataset") Object.assign(element.dataset, setting);
    else element.setAttribute(name, setting === true ? "" : setting);
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** A labelled control; `control` keeps its own attributes. */
export function labelled(text, control, className) {
  return h("label", { class: className }, text, control);
}

/** A coloured dot and the state's name. */
export function stateBadge(state) {
  if (!state) return h("span", { class: "muted" }, "no state");
  const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
  if (state.color) swatch.style.backgroundColor = state.color;
  return h("span", { class: "state" }, swatch, state.name);
}

let errorIds = 0;

/** Remove the errors shown inside `container`. */
export function clearErrors(container) {
  for (const shown of container.querySelectorAll(".error[data-user-error]")) shown.remove();
  for (const control of container.querySelectorAll("[aria-invalid]")) {
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-describedby");
  }
}

/**
 * Show each userError next to what caused it: the control whose data-field is the longest prefix of the
 * error's field path (["input", "lines", "0", "quantity"] finds "input.lines.0.quantity", then
 * "input.lines.0"…), else at the end of `container`.
 */
export function showUserErrors(container, userErrors) {
  clearErrors(container);
  for (const error of userErrors) {
    const control = controlFor(container, error.field ?? []);
    const id = `user-error-${++errorIds}`;
    const shown = h("p", { class: "error", id, role: "alert", dataset: { userError: error.code } },
      h("code", {}, error.code), error.message);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", id);
      (control.closest("label") ?? control).after(shown);
    } else {
      container.append(shown);
    }
  }
}

/** Show a top-level failure (ApiError) at the end of `container`. */
export function showFailure(container, failure) {
  showUserErrors(container, [{ code: failure.code ?? "ERROR", message: failure.message, field: null }]);
}

function controlFor(container, path) {
  for (let length = path.length; length > 0; length--) {
    const key = path.slice(0, length).join(".");
    const control = container.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (control) return control;
  }
  return null;
}

export function announce(message) {
  document.getElementById("status").textContent = message;
}
