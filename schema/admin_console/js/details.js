// The order details view: header, parties, lines, money, tracking, returns, custom fields, events,
// with the actions, the edit form and the version history beside and below it.

import { graphql } from "./api.js";
import { h, stateBadge } from "./dom.js";
import { dateTime, personName, value, words } from "./format.js";
import * as actions from "./actions.js";
import * as edit from "./edit.js";
import * as money from "./money.js";
import * as versions from "./versions.js";

const PRICE = "withVat withoutVat vat vatPercent";
const ADDRESS = "company name firstName surname address address2 zip city region country countryCode phone email";
const ORDER_FIELDS = `
  id previousIds kind displayName createdAt modifiedAt completedAt complete cancelled deleted revision
  reference channel externalId quoteStatus customerId comment customerComment
  flow { id name } state { id name color allowEdit }
  customer { ${ADDRESS} } delivery { ${ADDRESS} }
  customFields { systemName name type value }
  currency { code name rate }
  lines { id type parentLineId productId productNumber productName variantText quantity
    unitPrice { ${PRICE} } price { ${PRICE} } discountTotal { ${PRICE} } }
  paymentMethod { id name provider } paymentFee { ${PRICE} }
  shippingMethod { id name } shippingFee { ${PRICE} } shippingFeeRuleName voucherCode
  subtotal { ${PRICE} } discountTotal { ${PRICE} } priceBeforeFees { ${PRICE} } total { ${PRICE} }
  captureState authorizedAmount capturedAmount refundedAmount paymentDelta authorizationExpiresAt
  transactions { id kind status amount currency provider transactionNumber cardType cardNumber message createdAt }
  trackAndTrace { id name } trackingNumber trackingUrl
  returns { id status createdAt refundAmount comment lines { orderLineId quantity reason restock } }
  events { id at level source message actor }
  transitions { state { id name color isDeleted flow { name } } allowed reason code }
  versions { number createdAt actor summary }`;
const ORDER = `query OrderDetails($id: ID!) {
  order(id: $id) { ${ORDER_FIELDS} }
  trackAndTraces { id name parameters }
  products(first: 100) { id number name }
  paymentMethods { id name }
  shippingMethods { id name }
  customFieldDefinitions(target: ORDER) { systemName name type options required }
}`;

/** Render order `id` into `view`; every action renders it again from the server afterwards. */
export async function render(view, id, { focusSection = null, isCurrent = () => true } = {}) {
  const data = await graphql(ORDER, { id });
  if (!isCurrent()) return;
  const order = data.order;
  if (!order) {
    view.replaceChildren(h("h1", { tabindex: "-1" }, `No order ${id}`), h("p", {}, h("a", { href: "#/orders" }, "Back to the list")));
    view.querySelector("h1").focus();
    return;
  }
  // After an action, focus goes back to the form it came from, now showing the order as it is.
  const reload = (section) => render(view, order.id, { focusSection: section });
  view.replaceChildren(
    h("p", {}, h("a", { href: "#/orders" }, "← Orders")),
    h("div", { class: "details" },
      h("article", { "aria-labelledby": "order-title" },
        header(order),
        parties(order),
        money.lines(order),
        money.totals(order),
        money.payments(order),
        tracking(order),
        returns(order),
        customFields(order),
        events(order)),
      actions.panel(order, data.trackAndTraces, reload)),
    edit.panel(order, data, reload),
    versions.panel(order));
  const section = focusSection && view.querySelector(`[data-section="${focusSection}"]`);
  (section?.querySelector("legend, h2") ?? view.querySelector("#order-title")).focus();
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, shown]) => shown !== null && shown !== undefined && shown !== "")
    .map(([term, shown]) => [h("dt", {}, term), h("dd", {}, shown)]));
}

function header(order) {
  return h("header", {},
    h("h1", { id: "order-title", tabindex: "-1" }, order.id),
    facts([
      ["State", h("span", { id: "order-state" }, stateBadge(order.state), order.flow ? h("span", { class: "muted" }, ` (${order.flow.name})`) : null)],
      ["Earlier ids", order.previousIds.join(", ")],
      ["Kind", words(order.kind)],
      ["Status", [order.complete ? "complete" : "not complete", order.cancelled ? "cancelled" : null,
        order.deleted ? "deleted" : null, order.quoteStatus ? `quote ${words(order.quoteStatus)}` : null].filter(Boolean).join(", ")],
      ["Created", dateTime(order.createdAt)],
      ["Modified", dateTime(order.modifiedAt)],
      ["Completed", order.completedAt ? dateTime(order.completedAt) : null],
      ["Revision", String(order.revision)],
      ["Reference", order.reference],
      ["Channel", order.channel ? `${order.channel} ${order.externalId ?? ""}` : null],
    ]));
}

function address(title, shown) {
  const lines = [personName(shown), shown.company, shown.address, shown.address2,
    [shown.zip, shown.city].filter(Boolean).join(" "), shown.region, shown.country || shown.countryCode,
    shown.email, shown.phone].filter(Boolean);
  return h("section", {}, h("h2", {}, title),
    lines.length ? h("address", {}, lines.map((line) => h("div", {}, line))) : h("p", { class: "muted" }, "None"));
}

function parties(order) {
  return h("div", { class: "columns" },
    address("Customer", order.customer),
    address("Delivery", order.delivery),
    h("section", {}, h("h2", {}, "Notes"), order.customerId || order.comment || order.customerComment
      ? facts([["Customer id", order.customerId], ["Comment", order.comment], ["Customer comment", order.customerComment]])
      : h("p", { class: "muted" }, "None")));
}

function tracking(order) {
  return h("section", { id: "tracking" }, h("h2", {}, "Tracking"), order.trackingNumber
    ? facts([["Carrier", order.trackAndTrace?.name], ["Number", order.trackingNumber],
      ["Link", order.trackingUrl ? h("a", { href: order.trackingUrl, rel: "noreferrer", target: "_blank" }, order.trackingUrl) : null]])
    : h("p", { class: "muted" }, "No tracking number yet."));
}

function returns(order) {
  if (order.returns.length === 0) return h("section", {}, h("h2", {}, "Returns"), h("p", { class: "muted" }, "No returns."));
  return h("section", {}, h("h2", {}, "Returns"), order.returns.map((shown) => h("div", {},
    h("h3", {}, `Return ${shown.id}: ${words(shown.status)} (${dateTime(shown.createdAt)})`),
    shown.refundAmount ? h("p", {}, "Refunded ", money.amount(shown.refundAmount, order)) : null,
    shown.comment ? h("p", {}, shown.comment) : null,
    h("ul", {}, shown.lines.map((line) => h("li", {},
      `Line ${line.orderLineId}: ${line.quantity}${line.reason ? ` – ${line.reason}` : ""}${line.restock ? " (restock)" : ""}`))))));
}

function customFields(order) {
  return h("section", {}, h("h2", {}, "Custom fields"), order.customFields.length
    ? facts(order.customFields.map((field) => [field.name, value(field.value)]))
    : h("p", { class: "muted" }, "None."));
}

function events(order) {
  return h("section", {}, h("h2", {}, "Events"),
    h("table", { class: "events", "aria-label": "Events" },
      h("thead", {}, h("tr", {}, ["At", "Level", "Source", "Message", "Actor"].map((title) => h("th", {}, title)))),
      h("tbody", {}, order.events.map((event) => h("tr", {},
        h("td", {}, dateTime(event.at)), h("td", {}, words(event.level)), h("td", {}, event.source),
        h("td", {}, event.message), h("td", {}, event.actor ?? "–"))))));
}
