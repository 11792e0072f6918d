// The GraphQL client: posts documents to /graphql with the pasted ADMIN token, kept in session storage only.

const TOKEN_KEY = "ordergraph.adminToken";

/** A top-level GraphQL error (not a userError): its extensions.code and message. */
export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Run a document; the data, or an ApiError. UNAUTHENTICATED also signs out and tells the page. */
export async function graphql(query, variables = {}) {
  const headers = { "content-type": "application/json", accept: "application/json" };
  const bearer = token();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch (failure) {
    throw new ApiError("NETWORK", `The server did not answer (${failure.message}).`);
  }
  const body = await response.json().catch(() => null);
  if (body === null) throw new ApiError("BAD_RESPONSE", `The server answered ${response.status} without JSON.`);
  const [first] = body.errors ?? [];
  if (first) {
    const code = first.extensions?.code ?? "ERROR";
    if (code === "UNAUTHENTICATED") {
      signOut();
      window.dispatchEvent(new CustomEvent("ordergraph:signed-out", { detail: { message: first.message } }));
    }
    throw new ApiError(code, first.message);
  }
  return body.data;
}
