// The order list: filters, sort and keyset paging kept in the address (#/orders?…), multi-select and bulk actions.

import { graphql } from "./api.js";
import { h, labelled, stateBadge } from "./dom.js";
import { dateTime, money, personName, words } from "./format.js";
import * as bulk from "./bulk.js";

const PAGE_SIZES = ["25", "10", "50", "100"];
const ORDERS = `
query Orders($first: Int, $after: String, $last: Int, $before: String, $filter: OrderFilter, $sort: OrderSort) {
  orders(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node {
      id kind createdAt captureState total { withVat } currency { code }
      customer { name firstName surname company email } state { id name color }
    } }
  }
  flows { id name kind states { id name color isDeleted } }
}`;
const FILTER_NAMES = ["kind", "state", "capture", "from", "to", "customer", "search", "sort", "direction", "size"];

/** Render the list for the address's parameters into `view`, unless `isCurrent()` says it is too late. */
export async function render(view, params, isCurrent = () => true) {
  const data = await graphql(ORDERS, variablesOf(params));
  if (!isCurrent()) return;
  const connection = data.orders;
  const table = ordersTable(connection.edges.map((edge) => edge.node));
  view.replaceChildren(
    h("h1", { tabindex: "-1" }, "Orders"),
    filterForm(params, data.flows),
    h("p", { id: "total-count" }, `${connection.totalCount} ${connection.totalCount === 1 ? "order" : "orders"}`),
    table,
    pager(params, connection.pageInfo),
    bulk.panel(table, data.flows),
  );
  view.querySelector("h1").focus();
}

function variablesOf(params) {
  const filter = {};
  if (params.get("kind")) filter.kind = params.get("kind");
  const state = params.get("state") ?? "";
  if (state.startsWith("flow:")) filter.flowId = state.slice(5);
  else if (state) filter.stateIds = [state];
  if (params.get("capture")) filter.captureState = params.get("capture");
  if (params.get("customer")) filter.customerId = params.get("customer");
  if (params.get("search")) filter.search = params.get("search");
  // Dates are the browser's local days: from the start of `from` to the end of `to`.
  if (params.get("from")) filter.createdFrom = new Date(`${params.get("from")}T00:00`).toISOString();
  if (params.get("to")) {
    const end = new Date(`${params.get("to")}T00:00`);
    end.setDate(end.getDate() + 1);
    filter.createdTo = end.toISOString();
  }
  const sort = { field: params.get("sort") || "CREATED_AT", direction: params.get("direction") || "DESC" };
  const size = Number(PAGE_SIZES.includes(params.get("size")) ? params.get("size") : PAGE_SIZES[0]);
  const page = params.get("before")
    ? { last: size, before: params.get("before") }
    : { first: size, after: params.get("after") || null };
  return { ...page, filter, sort };
}

function select(name, label, options, current) {
  const control = h("select", { name, "data-field": name },
    options.map(([optionValue, text]) => h("option", { value: optionValue, selected: optionValue === current }, text)));
  return labelled(label, control);
}

function stateSelect(flows, current) {
  const control = h("select", { name: "state", "data-field": "state" }, h("option", { value: "" }, "Any"));
  for (const flow of flows) {
    control.append(h("optgroup", { label: `${flow.name} (${words(flow.kind)})` },
      h("option", { value: `flow:${flow.id}`, selected: current === `flow:${flow.id}` }, `Any state of ${flow.name}`),
      flow.states.map((state) => h("option", { value: state.id, selected: current === state.id },
        state.isDeleted ? `${state.name} (deleted)` : state.name))));
  }
  return labelled("Flow state", control);
}

function filterForm(params, flows) {
  const text = (name, label, type = "text") =>
    labelled(label, h("input", { name, type, value: params.get(name) ?? "", "data-field": name }));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter orders" },
    h("div", { class: "row" },
      text("search", "Search (id, name, email, product)", "search"),
      select("kind", "Kind", [["", "Any"], ["ORDER", "Order"], ["QUOTE", "Quote"], ["CART", "Cart"]], params.get("kind") ?? ""),
      stateSelect(flows, params.get("state") ?? ""),
      select("capture", "Capture state", [["", "Any"], ...["NOT_SUPPORTED", "NOT_CAPTURED", "SPLIT_CAPTURED", "CAPTURED"]
        .map((state) => [state, words(state)])], params.get("capture") ?? ""),
      text("from", "Created from", "date"),
      text("to", "Created to", "date"),
      text("customer", "Customer id"),
      select("sort", "Sort by", [["CREATED_AT", "Created"], ["MODIFIED_AT", "Modified"], ["COMPLETED_AT", "Completed"],
        ["TOTAL", "Total"], ["ID", "Id"]], params.get("sort") ?? "CREATED_AT"),
      select("direction", "Direction", [["DESC", "Descending"], ["ASC", "Ascending"]], params.get("direction") ?? "DESC"),
      select("size", "Per page", PAGE_SIZES.map((size) => [size, size]), params.get("size") ?? PAGE_SIZES[0]),
      h("button", { type: "submit" }, "Apply filters"),
      h("button", { type: "button", class: "secondary", onclick: () => { location.hash = "#/orders"; } }, "Clear")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTER_NAMES) {
      const entered = form.elements[name].value.trim();
      if (entered) next.set(name, entered);
    }
    go(`#/orders?${next}`);  // a new filter starts at the first page
  });
  return form;
}

/** Show `hash`; the same address again reloads the list. The view is busy from now until it is shown. */
function go(hash) {
  document.getElementById("view").setAttribute("aria-busy", "true");
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

function ordersTable(orders) {
  const selectAll = h("input", { type: "checkbox", "aria-label": "Select all orders on this page" });
  const body = h("tbody", {}, orders.map(orderRow));
  selectAll.addEventListener("change", () => {
    for (const box of body.querySelectorAll("input[type=checkbox]")) box.checked = selectAll.checked;
  });
  if (orders.length === 0) body.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No orders match.")));
  return h("table", { class: "orders", "aria-label": "Orders" },
    h("thead", {}, h("tr", {}, h("th", {}, selectAll), h("th", {}, "Id"), h("th", {}, "Kind"), h("th", {}, "State"),
      h("th", {}, "Customer"), h("th", {}, "Created"), h("th", { class: "number" }, "Total"), h("th", {}, "Capture"))),
    body);
}

function orderRow(order) {
  const customer = personName(order.customer);
  return h("tr", { dataset: { orderId: order.id } },
    h("td", {}, h("input", { type: "checkbox", name: "selected", value: order.id, "aria-label": `Select ${order.id}` })),
    h("td", {}, h("a", { href: `#/order/${encodeURIComponent(order.id)}` }, order.id)),
    h("td", {}, words(order.kind)),
    h("td", {}, stateBadge(order.state)),
    h("td", {}, customer, order.customer.email ? h("div", { class: "muted" }, order.customer.email) : null),
    h("td", {}, dateTime(order.createdAt)),
    h("td", { class: "number" }, money(order.total.withVat, order.currency.code)),
    h("td", {}, words(order.captureState)));
}

function pager(params, pageInfo) {
  const turnTo = (cursorName, cursor) => {
    const next = new URLSearchParams(params);
    next.delete("after");
    next.delete("before");
    next.set(cursorName, cursor);
    go(`#/orders?${next}`);
  };
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", class: "secondary", disabled: !pageInfo.hasPreviousPage,
      onclick: () => turnTo("before", pageInfo.startCursor) }, "Previous page"),
    h("button", { type: "button", class: "secondary", disabled: !pageInfo.hasNextPage,
      onclick: () => turnTo("after", pageInfo.endCursor) }, "Next page"));
}
