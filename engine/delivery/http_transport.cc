#include "engine/delivery/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace journeyd::delivery {

namespace {

std::once_flag g_curl_init_once;

std::string ToLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view TrimLine(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// libcurl hands over every header line of every response it reads, interim ones (100 Continue,
// and redirects if they were followed) included; only the last response's headers belong to
// the answer, so a status line starts the list afresh.
size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HeaderList*>(user);
  const size_t length = size * count;
  std::string_view line(data, length);
  if (line.substr(0, 5) == "HTTP/") {
    headers->clear();
    return length;
  }
  // An obsolete folded continuation line belongs to the previous header's value.
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    std::string_view more = TrimLine(line);
    if (!headers->empty() && !more.empty()) {
      headers->back().second.append(" ").append(more);
    }
    return length;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return length;  // the blank line ending the block
  headers->emplace_back(ToLower(TrimLine(line.substr(0, colon))),
                        std::string(TrimLine(line.substr(colon + 1))));
  return length;
}

bool HasHeader(const HeaderList& headers, std::string_view lower_name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return ToLower(h.first) == lower_name; });
}

// Frees a curl_slist when a request is done, whichever way it ends.
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace

struct HttpTransport::Impl {
  TransportOptions options;
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};
};

HttpTransport::HttpTransport(TransportOptions options) : impl_(std::make_unique<Impl>()) {
  std::call_once(g_curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->options = std::move(options);
  impl_->curl = curl_easy_init();
}

HttpTransport::~HttpTransport() {
  if (impl_->curl != nullptr) curl_easy_cleanup(impl_->curl);
}

HttpResponse HttpTransport::Send(const HttpRequest& request) {
  HttpResponse response;
  CURL* curl = impl_->curl;
  if (curl == nullptr) {
    response.transport_error = "libcurl could not create a handle";
    return response;
  }
  const TransportOptions& options = impl_->options;

  // Reset clears the previous request's options (method, body, headers) but keeps the
  // connection cache, DNS cache and TLS sessions, which is what reusing the handle is for.
  curl_easy_reset(curl);
  impl_->error[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, impl_->error);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500  // 7.85.0
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS});
#endif
  // Signals are process-wide and a worker is one thread among many; without this, libcurl's
  // DNS timeouts use SIGALRM.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(options.connect_timeout.count(), 1)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(options.timeout.count(), 1)));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  // A redirect from a CRM API is a misconfiguration; following it would resend the body (and
  // the credentials) somewhere nobody configured.
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");

  const std::string& method = request.method;
  if (method == "GET" && request.body.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    // An empty-bodied POST, PUT or PATCH still says "Content-Length: 0", which some servers
    // require; an empty DELETE sends no body at all.
    if (!request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    }
    if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  Slist headers;
  auto add_header = [&](const std::string& line) {
    curl_slist* extended = curl_slist_append(headers.get(), line.c_str());
    if (extended != nullptr) {
      (void)headers.release();
      headers.reset(extended);
    }
  };
  for (const auto& [name, value] : request.headers) {
    // "Name;" is libcurl's spelling of a header sent with an empty value ("Name:" removes it).
    add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  // The 100-continue round trip costs a wait of up to a second on every large body for
  // servers that never answer it, and a CRM reads every body anyway.
  add_header("Expect:");
  // A body is sent with exactly the type the target chose; libcurl would otherwise label it
  // application/x-www-form-urlencoded.
  if (!HasHeader(request.headers, "content-type")) add_header("Content-Type:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // The handle points into this request, this response and the header list, all about to go;
  // an idle handle should hold nothing but its connections.
  curl_easy_reset(curl);
  if (code != CURLE_OK) {
    // A partial answer is no answer: the caller decides by status, and 0 says "unknown".
    response.headers.clear();
    response.body.clear();
    response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    response.transport_error = curl_easy_strerror(code);
    if (impl_->error[0] != '\0') response.transport_error.append(": ").append(impl_->error);
    return response;
  }
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace journeyd::delivery
