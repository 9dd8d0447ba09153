#include "cli/hub/http_client.h"

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/hub/interrupt.h"

namespace lateral::cli {
namespace {

constexpr size_t kMaxMemoryBody = size_t{256} << 20;  // API answers are small; refuse runaway ones
constexpr size_t kMaxErrorBody = 64 << 10;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one curl transfer collects.
struct Transfer {
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  bool to_memory = true;  // Get, or an error answer during a download
  // Download state.
  FILE* file = nullptr;
  int64_t requested_offset = 0;
  int64_t file_size = 0;
  bool decided = false;
  bool resumed = false;
  int64_t received = 0;
  std::string write_error;
  const std::function<void(int64_t)>* on_bytes = nullptr;
};

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (the first, or one after a redirect): forget the previous headers.
    t->headers.clear();
    size_t space = line.find(' ');
    t->status = space == std::string::npos ? 0 : std::strtol(line.c_str() + space + 1, nullptr, 10);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    t->headers[name] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return size * count;
}

// Parses the start of "bytes START-END/TOTAL".
int64_t ContentRangeStart(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("content-range");
  if (it == headers.end()) return -1;
  const std::string& v = it->second;
  if (v.rfind("bytes ", 0) != 0) return -1;
  char* end = nullptr;
  long long start = std::strtoll(v.c_str() + 6, &end, 10);
  if (end == v.c_str() + 6 || *end != '-') return -1;
  return start;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->file != nullptr && !t->decided) {
    t->decided = true;
    if (t->status == 206 && t->requested_offset > 0 && ContentRangeStart(t->headers) == t->requested_offset) {
      t->resumed = true;
      t->to_memory = false;
    } else if (t->status >= 200 && t->status < 300) {
      // The whole file (the server ignored Range, or sent another range): start over.
      if (t->file_size > 0) {
        if (fflush(t->file) != 0 || ftruncate(fileno(t->file), 0) != 0) {
          t->write_error = "cannot truncate the partial file";
          return 0;
        }
        t->file_size = 0;
      }
      t->to_memory = false;
    }
  }
  if (t->to_memory) {
    const size_t cap = t->file != nullptr ? kMaxErrorBody : kMaxMemoryBody;
    if (t->body.size() + n > cap) {
      if (t->file != nullptr) return n;  // an error page: its start is enough
      t->write_error = "the answer is larger than 256 MiB";
      return 0;
    }
    t->body.append(data, n);
    return n;
  }
  if (fwrite(data, 1, n, t->file) != n) {
    t->write_error = "cannot write (disk full?)";
    return 0;
  }
  t->file_size += static_cast<int64_t>(n);
  t->received += static_cast<int64_t>(n);
  if (t->on_bytes != nullptr && *t->on_bytes) (*t->on_bytes)(t->file_size);
  return n;
}

int OnProgress(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return InterruptRequested() ? 1 : 0; }

bool IsRetryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

bool IsRetryableStatus(long status) { return status >= 500 || status == 429; }

// Sleeps `ms`, waking early on an interrupt.
void Backoff(int ms) {
  for (int slept = 0; slept < ms && !InterruptRequested(); slept += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50, ms - slept)));
  }
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpClient::HttpClient(std::string token, RetryPolicy retry) : token_(std::move(token)), retry_(retry) {
  GlobalInitOnce();
}

namespace {

// One attempt of a GET. Returns the curl code; `errbuf` holds details.
CURLcode Perform(const std::string& url, const std::string& token, const RetryPolicy& retry, int64_t range_start,
                 Transfer* t, std::string* error_detail) {
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) {
    *error_detail = "curl_easy_init failed";
    return CURLE_FAILED_INIT;
  }
  CURL* c = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  if (!token.empty()) {
    headers.reset(curl_slist_append(nullptr, absl::StrCat("Authorization: Bearer ", token).c_str()));
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "lateral-pull/1");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(retry.connect_timeout_s));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(retry.stall_timeout_s));
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
  if (range_start > 0) {
    curl_easy_setopt(c, CURLOPT_RANGE, absl::StrCat(range_start, "-").c_str());
  }
  CURLcode code = curl_easy_perform(c);
  long status = 0;
  if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status != 0) t->status = status;
  *error_detail = errbuf[0] != 0 ? std::string(errbuf) : std::string(curl_easy_strerror(code));
  return code;
}

absl::Status TransportError(const std::string& url, CURLcode code, const std::string& detail, int attempts) {
  return absl::UnavailableError(absl::StrCat("cannot fetch ", url, ": ", detail, " (curl error ", static_cast<int>(code),
                                             ", ", attempts, attempts == 1 ? " attempt)" : " attempts)"));
}

}  // namespace

absl::StatusOr<HttpResult> HttpClient::Get(const std::string& url) {
  int backoff = retry_.initial_backoff_ms;
  for (int attempt = 1;; ++attempt) {
    Transfer t;
    std::string detail;
    CURLcode code = Perform(url, token_, retry_, 0, &t, &detail);
    if (code == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError("interrupted");
    if (code == CURLE_WRITE_ERROR && !t.write_error.empty()) {
      return absl::ResourceExhaustedError(absl::StrCat(url, ": ", t.write_error));
    }
    const bool retryable = code != CURLE_OK ? IsRetryable(code) : IsRetryableStatus(t.status);
    if (retryable && attempt < retry_.max_attempts) {
      Backoff(backoff);
      if (InterruptRequested()) return absl::CancelledError("interrupted");
      backoff = std::min(backoff * 2, 8000);
      continue;
    }
    if (code != CURLE_OK) return TransportError(url, code, detail, attempt);
    HttpResult result;
    result.status = t.status;
    result.headers = std::move(t.headers);
    result.body = std::move(t.body);
    return result;
  }
}

absl::StatusOr<HttpResult> HttpClient::DownloadToFile(const std::string& url, const std::string& path,
                                                      const std::function<void(int64_t)>& on_bytes) {
  int backoff = retry_.initial_backoff_ms;
  int64_t total_received = 0;
  int64_t largest_file = -1;  // progress = the partial file grew past its best size
  int resumes = 0;
  bool resumed_any = false;
  for (int attempt = 1;; ++attempt) {
    FILE* file = std::fopen(path.c_str(), "ab");
    if (file == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot open \"", path, "\" for writing"));
    struct stat st {};
    int64_t offset = fstat(fileno(file), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
    Transfer t;
    t.file = file;
    t.requested_offset = offset;
    t.file_size = offset;
    t.on_bytes = &on_bytes;
    std::string detail;
    CURLcode code = Perform(url, token_, retry_, offset, &t, &detail);
    const bool closed_ok = std::fclose(file) == 0;
    total_received += t.received;
    resumed_any = resumed_any || t.resumed;
    if (code == CURLE_ABORTED_BY_CALLBACK) return absl::CancelledError("interrupted");
    if (!t.write_error.empty()) return absl::ResourceExhaustedError(absl::StrCat("\"", path, "\": ", t.write_error));
    if (!closed_ok) return absl::ResourceExhaustedError(absl::StrCat("cannot write \"", path, "\" (disk full?)"));
    if (code == CURLE_OK && t.status == 416 && offset > 0) {
      // The partial file is not a prefix the server recognises: start over.
      if (truncate(path.c_str(), 0) != 0) return absl::InternalError(absl::StrCat("cannot truncate \"", path, "\""));
      if (attempt < retry_.max_attempts) continue;
    }
    const bool retryable = code != CURLE_OK ? IsRetryable(code) : IsRetryableStatus(t.status);
    const bool progressed = t.file_size > largest_file && t.received > 0;
    largest_file = std::max(largest_file, t.file_size);
    if (retryable && progressed && resumes < retry_.max_resumes) {
      ++resumes;
      attempt = 0;  // a flaky link, not a dead one: keep going
    }
    if (retryable && attempt < retry_.max_attempts) {
      if (!progressed) {
        Backoff(backoff);
        backoff = std::min(backoff * 2, 8000);
      }
      if (InterruptRequested()) return absl::CancelledError("interrupted");
      continue;
    }
    if (code != CURLE_OK) return TransportError(url, code, detail, std::max(attempt, 1));
    HttpResult result;
    result.status = t.status;
    result.headers = std::move(t.headers);
    result.body = std::move(t.body);
    result.bytes_received = total_received;
    result.resumed = resumed_any;
    return result;
  }
}

std::string UrlEncode(const std::string& text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

}  // namespace lateral::cli
