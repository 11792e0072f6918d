// The money of an order: its lines with discounts, the four-part totals and fees, payments and transactions.

import { h } from "./dom.js";
import { dateTime, money, words } from "./format.js";

/** An amount of the order's currency as a text node. */
export function amount(decimal, order) {
  return money(decimal, order.currency.code);
}

function number(decimal, order) {
  return h("td", { class: "number" }, amount(decimal, order));
}

/** Product lines with their discount lines under them, then the order's own discount lines. */
export function lines(order) {
  const discountsOf = (line) => order.lines.filter((other) => other.parentLineId === line.id);
  const products = order.lines.filter((line) => line.type !== "DISCOUNT");
  const orderDiscounts = order.lines.filter((line) => line.type === "DISCOUNT" && !line.parentLineId);
  const row = (line, isSub) => h("tr", { class: isSub ? "sub" : null, dataset: { lineId: line.id } },
    h("td", {}, isSub ? `↳ ${line.productName}` : line.productName,
      line.variantText ? h("span", { class: "muted" }, ` ${line.variantText}`) : null),
    h("td", {}, line.productNumber ?? ""),
    h("td", { class: "number" }, line.quantity),
    number(line.unitPrice.withVat, order),
    h("td", { class: "number" }, `${line.price.vatPercent} %`),
    number(line.discountTotal.withVat, order),
    number(line.price.withVat, order));
  return h("section", {}, h("h2", {}, "Lines"),
    h("table", { class: "lines", "aria-label": "Lines" },
      h("thead", {}, h("tr", {}, h("th", {}, "Product"), h("th", {}, "Number"), h("th", { class: "number" }, "Quantity"),
        h("th", { class: "number" }, "Unit price"), h("th", { class: "number" }, "VAT"),
        h("th", { class: "number" }, "Discount"), h("th", { class: "number" }, "Price"))),
      h("tbody", {},
        products.map((line) => [row(line, false), discountsOf(line).map((discount) => row(discount, true))]),
        orderDiscounts.map((discount) => row(discount, false)))));
}

/** The totals table: each in its four parts. `id` lets the edit preview show one of its own. */
export function totalsTable(order, id) {
  const part = (title, price) => h("tr", {}, h("th", { scope: "row" }, title),
    number(price.withoutVat, order), number(price.vat, order), number(price.withVat, order));
  return h("table", { class: "totals", id, "aria-label": "Totals" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", { class: "number" }, "Without VAT"),
      h("th", { class: "number" }, "VAT"), h("th", { class: "number" }, "With VAT"))),
    h("tbody", {},
      part("Subtotal", order.subtotal),
      part("Discounts", order.discountTotal),
      part("Before fees", order.priceBeforeFees),
      part(`Payment fee${order.paymentMethod ? ` (${order.paymentMethod.name})` : ""}`, order.paymentFee),
      part(`Shipping fee${order.shippingMethod ? ` (${order.shippingMethod.name})` : ""}`, order.shippingFee),
      part("Total", order.total)));
}

export function totals(order) {
  return h("section", {}, h("h2", {}, "Totals"), totalsTable(order, "totals"),
    h("p", { class: "muted" }, `Currency ${order.currency.code} (${order.currency.name}), rate ${order.currency.rate}`,
      order.voucherCode ? `, voucher ${order.voucherCode}` : "",
      order.shippingFeeRuleName ? `, shipping fee rule ${order.shippingFeeRuleName}` : ""));
}

/** What paymentDelta means for the merchant. */
export function deltaText(order) {
  const delta = Number(order.paymentDelta);
  const shown = amount(order.paymentDelta, order);
  if (delta > 0) return `${shown} still to secure`;
  if (delta < 0) return `${shown} to give back`;
  return `${shown} (settled)`;
}

export function payments(order) {
  const summary = h("dl", { class: "facts", id: "payment-summary" },
    [["Method", order.paymentMethod ? `${order.paymentMethod.name} (${order.paymentMethod.provider})` : "none"],
      ["Capture state", words(order.captureState)],
      ["Authorized", amount(order.authorizedAmount, order)],
      ["Captured", amount(order.capturedAmount, order)],
      ["Refunded", amount(order.refundedAmount, order)],
      ["Payment delta", deltaText(order)],
      ["Authorization expires", order.authorizationExpiresAt ? dateTime(order.authorizationExpiresAt) : "–"]]
      .map(([term, shown]) => [h("dt", {}, term), h("dd", { dataset: { fact: term } }, shown)]));
  const transactions = h("table", { class: "transactions", "aria-label": "Transactions" },
    h("thead", {}, h("tr", {}, ["Kind", "Status", "Amount", "Provider", "Number", "Card", "Message", "At"]
      .map((title) => h("th", { class: title === "Amount" ? "number" : null }, title)))),
    h("tbody", {}, order.transactions.map((transaction) => h("tr", {},
      h("td", {}, words(transaction.kind)), h("td", {}, words(transaction.status)),
      h("td", { class: "number" }, money(transaction.amount, transaction.currency)),
      h("td", {}, transaction.provider), h("td", {}, transaction.transactionNumber ?? "–"),
      h("td", {}, [transaction.cardType, transaction.cardNumber].filter(Boolean).join(" ") || "–"),
      h("td", {}, transaction.message ?? ""), h("td", {}, dateTime(transaction.createdAt))))));
  return h("section", {}, h("h2", {}, "Payments"), summary, h("h3", {}, "Transactions"),
    order.transactions.length ? transactions : h("p", { class: "muted" }, "No transactions."));
}
