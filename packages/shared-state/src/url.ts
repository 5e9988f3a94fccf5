/** SHARED_STATE_URL: `redis://[user[:password]@]host[:port][/db]` or `rediss://…` (TLS). */
export interface SharedStateTarget {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
  /** The URL with the password replaced by `***`, for logs and `/readyz`. */
  redacted: string;
}

/** A SHARED_STATE_URL that cannot be used; the message never contains the password. */
export class SharedStateUrlError extends Error {
  override readonly name = "SharedStateUrlError";
}

/**
 * Parses SHARED_STATE_URL. Throws a {@link SharedStateUrlError} saying what is wrong (scheme, host,
 * port, database number), never echoing the value: it may hold a password.
 */
export function parseSharedStateUrl(value: string): SharedStateTarget {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new SharedStateUrlError("expected a URL such as redis://valkey:6379 or rediss://:password@valkey:6380/0");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new SharedStateUrlError(`expected the scheme redis:// or rediss:// (TLS), got ${url.protocol}//`);
  }
  // `new URL` keeps IPv6 hosts in brackets; the socket wants them without.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new SharedStateUrlError("the URL names no host");
  const port = url.port === "" ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d{1,5}$/.test(path)) {
    throw new SharedStateUrlError("the path must be a database number (redis://host:6379/0) or nothing");
  }
  const db = path === "" ? 0 : Number(path);
  if (url.search !== "" || url.hash !== "") {
    throw new SharedStateUrlError(
      "the URL takes no query or fragment; TLS is rediss://, the password goes before the host",
    );
  }
  let username: string | undefined;
  let password: string | undefined;
  try {
    username = url.username === "" ? undefined : decodeURIComponent(url.username);
    password = url.password === "" ? undefined : decodeURIComponent(url.password);
  } catch {
    throw new SharedStateUrlError("the user or password is not valid percent-encoding");
  }
  const who =
    username !== undefined || password !== undefined ? `${url.username}${password !== undefined ? ":***" : ""}@` : "";
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    tls: url.protocol === "rediss:",
    host,
    port,
    db,
    username,
    password,
    redacted: `${url.protocol}//${who}${shownHost}:${port}/${db}`,
  };
}
