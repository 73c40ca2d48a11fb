"""A TLS proxy in front of the plane's kube-apiserver that refuses a share of the writes it is sent,
for fault tests (the API server itself cannot be told to fail).

FaultProxy(env).start() listens on 127.0.0.1 with the plane's serving certificate for 127.0.0.1
(pki/webhook.crt, signed by the plane's CA, so clients keep verifying) and forwards every request
to $API_SERVER, streaming the answers (watches included). While `refuse_every` is N > 0, every Nth
write (POST, PUT, PATCH, DELETE) is answered 500 InternalError without being forwarded: the write
did not happen, as when an API server or its etcd fails a request. kubeconfig(src, dst) writes a
copy of a kubeconfig pointing at the proxy; its user must authenticate with a token (a client
certificate ends at the proxy). Counters: writes, refused."""
import http.client
import http.server
import json
import os
import re
import socketserver
import ssl
import threading
import urllib.parse

WRITES = ("POST", "PUT", "PATCH", "DELETE")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "host", "content-length"}
REFUSAL = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": "refused by the e2e fault proxy", "reason": "InternalError",
                      "code": 500}).encode()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class FaultProxy:
    def __init__(self, env):
        self.env = env
        upstream = urllib.parse.urlparse(env["API_SERVER"])
        self.upstream = (upstream.hostname, upstream.port)
        self.upstream_ctx = ssl.create_default_context(cafile=os.path.join(env["PKI_DIR"], "ca.crt"))
        self.refuse_every = 0
        self.writes = 0
        self.refused = 0
        self.mu = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.take_refusal(self.command):
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(REFUSAL)))
                    self.end_headers()
                    self.wfile.write(REFUSAL)
                    return
                conn = http.client.HTTPSConnection(*proxy.upstream, context=proxy.upstream_ctx, timeout=600)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    self.send_response(resp.status)
                    for k, v in resp.getheaders():
                        if k.lower() not in HOP_BY_HOP:
                            self.send_header(k, v)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    while True:  # streamed as it comes: a watch is one long answer
                        chunk = resp.read1(65536)
                        if not chunk:
                            break
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    self.close_connection = True
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        self.server = _Server(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(env["PKI_DIR"], "webhook.crt"), os.path.join(env["PKI_DIR"], "webhook.key"))
        ctx.set_alpn_protocols(["http/1.1"])
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"

    def take_refusal(self, method):
        if method not in WRITES:
            return False
        with self.mu:
            self.writes += 1
            if self.refuse_every > 0 and self.writes % self.refuse_every == 0:
                self.refused += 1
                return True
        return False

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()

    def kubeconfig(self, src, dst):
        """Writes `src` with its server URL(s) replaced by the proxy's."""
        text = re.sub(r"server: *\S+", f"server: {self.url}", open(src).read())
        with open(dst, "w") as f:
            f.write(text)
        os.chmod(dst, 0o600)
        return dst
