// HTTP GETs over libcurl for the hub client: small responses into memory,
// large ones streamed into a file with resume.
//
// Owned by HubClient (one per pull, one thread). Redirects are followed (the
// hub sends LFS files to a CDN); libcurl drops the Authorization header when
// a redirect leaves the original host, so the token never reaches the CDN.
// Connection errors and 5xx answers are retried with exponential backoff;
// HTTP errors other than 5xx are returned as results (status + body) because
// only the caller knows what a 404 means. A pending interrupt (see
// cli/hub/interrupt.h) aborts a transfer with absl::CancelledError.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace lateral::cli {

struct RetryPolicy {
  int max_attempts = 5;           // per request; an attempt that made progress does not count...
  int max_resumes = 1000;         // ...up to this many times per download (bounds a flapping link)
  int initial_backoff_ms = 500;   // doubled after each failed attempt, up to 8 s
  int connect_timeout_s = 30;
  int stall_timeout_s = 60;       // abort a transfer that moves no byte for this long
};

struct HttpResult {
  long status = 0;                             // of the final response, after redirects
  std::map<std::string, std::string> headers;  // of the final response, names lowercased
  std::string body;                            // Get: the body; DownloadToFile: the body of an error answer
  int64_t bytes_received = 0;                  // DownloadToFile: body bytes written by this call
  bool resumed = false;                        // DownloadToFile: the server honoured a Range request
};

class HttpClient {
 public:
  // `token` (may be empty) is sent as "Authorization: Bearer TOKEN".
  HttpClient(std::string token, RetryPolicy retry);

  // GET `url` into memory.
  absl::StatusOr<HttpResult> Get(const std::string& url);

  // GET `url` into the file at `path`, continuing an existing partial file
  // with "Range: bytes=N-". A server that answers 200 to a Range request is
  // handled by starting the file over. `on_bytes(file_size)` is called as
  // data arrives. On a non-2xx answer the file keeps what it had and the
  // answer is returned in the result.
  absl::StatusOr<HttpResult> DownloadToFile(const std::string& url, const std::string& path,
                                            const std::function<void(int64_t)>& on_bytes);

 private:
  std::string token_;
  RetryPolicy retry_;
};

// Percent-encodes `text` for a URL path; '/' is kept when `keep_slash`.
std::string UrlEncode(const std::string& text, bool keep_slash);

}  // namespace lateral::cli
