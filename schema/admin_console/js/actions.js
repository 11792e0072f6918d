// The actions on one order: change state, capture, authorize, release, refund, cancel and set tracking.
// Each shows its userErrors beside the control at fault, or renders the order again when it succeeded.

import { graphql } from "./api.js";
import { announce, clearErrors, h, labelled, showFailure, showUserErrors, stateBadge } from "./dom.js";

const ERRORS = "userErrors { field message code }";
const BULK = `results { ${ERRORS} }`;
const DOCUMENTS = {
  changeState: `mutation ChangeState($id: ID!, $stateId: ID!) { changeState(orderIds: [$id], stateId: $stateId) { ${BULK} } }`,
  capture: `mutation Capture($id: ID!, $amount: Decimal) { capture(orderIds: [$id], amount: $amount) { ${BULK} } }`,
  authorize: `mutation Authorize($id: ID!, $amount: Decimal) { authorize(orderId: $id, amount: $amount) { ${ERRORS} } }`,
  releaseAuthorization: `mutation Release($id: ID!) { releaseAuthorization(orderId: $id) { ${ERRORS} } }`,
  refund: `mutation Refund($id: ID!, $amount: Decimal, $reason: String) {
    refund(orderId: $id, amount: $amount, reason: $reason) { ${ERRORS} } }`,
  cancel: `mutation Cancel($id: ID!, $reason: String) { cancel(orderIds: [$id], reason: $reason) { ${BULK} } }`,
  setTracking: `mutation SetTracking($id: ID!, $trackAndTraceId: ID!, $trackingNumber: String!) {
    setTracking(orderId: $id, trackAndTraceId: $trackAndTraceId, trackingNumber: $trackingNumber) { ${ERRORS} } }`,
};

/** The actions column of order `order`; `reload` renders the order again. */
export function panel(order, trackAndTraces, reload) {
  const act = (element, mutation, variables, done) => run(element, mutation, { id: order.id, ...variables }, done, reload);
  return h("aside", { class: "actions", "aria-label": "Actions" },
    h("h2", {}, "Actions"),
    changeStateForm(order, act),
    form("capture", "Capture", [amountInput("Amount (empty: all that is capturable)")], "Capture",
      (values, element) => act(element, "capture", { amount: values.amount || null }, "Captured.")),
    form("authorize", "Authorize more", [amountInput("Amount (empty: what the payment delta needs)")], "Authorize",
      (values, element) => act(element, "authorize", { amount: values.amount || null }, "Authorized.")),
    form("releaseAuthorization", "Release authorization",
      [h("p", { class: "muted" }, "Voids what is authorized and not captured.")], "Release",
      (_, element) => act(element, "releaseAuthorization", {}, "Released the authorization.")),
    form("refund", "Refund", [amountInput("Amount (empty: all captured, not refunded)"), textInput("reason", "Reason")],
      "Refund", (values, element) => act(element, "refund", { amount: values.amount || null, reason: values.reason || null }, "Refunded.")),
    form("cancel", "Cancel order", [textInput("reason", "Reason")], "Cancel order",
      (values, element) => act(element, "cancel", { reason: values.reason || null }, "Cancelled.")),
    trackingForm(order, trackAndTraces, act));
}

function amountInput(label) {
  return labelled(label, h("input", { name: "amount", inputmode: "decimal", autocomplete: "off", "data-field": "amount" }));
}

function textInput(name, label, attributes = {}) {
  return labelled(label, h("input", { name, "data-field": name, autocomplete: "off", ...attributes }));
}

/** A fieldset form of one action; `submit` gets its named values. */
function form(section, legend, controls, submitText, submit) {
  const element = h("form", { dataset: { section }, "aria-label": legend },
    h("fieldset", {}, h("legend", { tabindex: "-1" }, legend), ...controls,
      h("p", {}, h("button", { type: "submit" }, submitText))));
  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = element.querySelector("button[type=submit]");
    button.disabled = true;
    const values = Object.fromEntries([...new FormData(element)].map(([name, entered]) => [name, String(entered).trim()]));
    try {
      await submit(values, element);
    } finally {
      button.disabled = false;
    }
  });
  return element;
}

/** Run `mutation`: its userErrors next to their controls in the submitting form, else a reload. */
async function run(element, mutation, variables, done, reload) {
  clearErrors(element);
  let userErrors;
  try {
    const payload = (await graphql(DOCUMENTS[mutation], variables))[mutation];
    userErrors = payload.results ? payload.results[0].userErrors : payload.userErrors;
  } catch (failure) {
    showFailure(element, failure);
    return;
  }
  if (userErrors.length) {
    showUserErrors(element, userErrors);
    return;
  }
  announce(done);
  await reload(element.dataset.section);
}

function changeStateForm(order, act) {
  const choices = order.transitions.map((transition, index) => {
    const id = `transition-${index}`;
    const reasonId = `${id}-reason`;
    const radio = h("input", { type: "radio", name: "stateId", value: transition.state.id, id, "data-field": "stateId",
      disabled: !transition.allowed, "aria-describedby": transition.allowed ? null : reasonId });
    return h("div", { class: "transition", dataset: { state: transition.state.name, allowed: String(transition.allowed) } },
      h("label", { class: "inline", for: id }, radio, stateBadge(transition.state),
        h("span", { class: "muted" }, ` ${transition.state.flow.name}${transition.state.isDeleted ? ", deleted" : ""}`)),
      transition.allowed ? null : h("span", { class: "reason", id: reasonId }, h("code", {}, transition.code), " ", transition.reason));
  });
  const current = h("p", {}, "Now: ", stateBadge(order.state));
  const controls = choices.length ? [current, ...choices] : [current, h("p", { class: "muted" }, "No other states.")];
  return form("changeState", "Change state", controls, "Change state", (values, element) => values.stateId
    ? act(element, "changeState", { stateId: values.stateId }, `Moved ${order.id}.`)
    : showUserErrors(element, [{ code: "INVALID", message: "Choose a state first.", field: ["stateId"] }]));
}

function trackingForm(order, trackAndTraces, act) {
  const carrier = h("select", { name: "trackAndTraceId", "data-field": "trackAndTraceId", required: true },
    trackAndTraces.map((configuration) => h("option", { value: configuration.id,
      selected: configuration.id === order.trackAndTrace?.id }, configuration.name)));
  return form("setTracking", "Set tracking",
    [labelled("Carrier", carrier), textInput("trackingNumber", "Tracking number", { value: order.trackingNumber ?? "", required: true })],
    "Set tracking", (values, element) => act(element, "setTracking", values, `Tracking number ${values.trackingNumber} set.`));
}
