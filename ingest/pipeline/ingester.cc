#include "ingest/pipeline/ingester.h"

#include <sys/stat.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <limits>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/mapped_file.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "index/residual_codec.h"
#include "index/index_builder.h"
#include "ingest/text/chunker.h"
#include "ingest/walk/binary_sniff.h"

namespace lateral::ingest {
namespace {

using Clock = std::chrono::steady_clock;

// What the parallel stage decided for one file, and what it produced.
struct FileJob {
  WalkedFile file;
  Format format = Format::kText;
  enum class Outcome { kUnchanged, kTouched, kWrite, kSkip, kFail } outcome = Outcome::kFail;
  std::optional<SourceRecord> previous;
  SourceRecord record;
  std::vector<DocumentRecord> passages;
  std::vector<LexicalTerms> terms;          // all of them once terms_ready
  bool terms_ready = false;
  std::vector<TokenEmbeddings> embeddings;  // with an encoder, until compressed into `codes`
  std::vector<DocumentCodes> codes;         // per passage, when the codec existed at encoding time
  std::string note;                         // why skipped / failed / written without text
  int64_t encoded_tokens = 0;
};

DocumentCodes Compress(const ResidualCodec& codec, const TokenEmbeddings& e) {
  DocumentCodes codes;
  codes.centroid_ids.resize(e.num_vectors);
  codes.residual_codes.resize(static_cast<size_t>(e.num_vectors) * codec.code_bytes());
  codec.Encode(e.vectors.data(), e.num_vectors, codes.centroid_ids.data(),
               reinterpret_cast<uint8_t*>(codes.residual_codes.data()));
  return codes;
}

std::string LanguageOf(const DocumentRecord& record) {
  auto it = record.metadata.find("lang");
  if (it == record.metadata.end()) return "";
  if (const auto* s = std::get_if<std::string>(&it->second)) return *s;
  return "";
}

class Pipeline {
 public:
  Pipeline(CollectionStore& store, const IngestOptions& options) : store_(store), options_(options) {}

  absl::StatusOr<IngestReport> Run(const std::vector<std::string>& paths) {
    start_ = Clock::now();
    if (options_.analyzer == nullptr) return absl::InvalidArgumentError("Ingest: an analyzer is required");
    for (const std::string& p : paths) explicit_paths_.insert(AbsolutePath(p));

    Report("scanning");
    std::vector<WalkedFile> files;
    LATERAL_RETURN_IF_ERROR(WalkPaths(
        paths, options_.walk, [&](const WalkedFile& f) { files.push_back(f); },
        [&](const SkippedPath& s) { report_.skipped.push_back({s.path, s.reason}); }));
    progress_.files_total = static_cast<int64_t>(files.size());
    for (const WalkedFile& f : files) progress_.bytes_total += static_cast<int64_t>(f.size);
    report_.files_seen = progress_.files_total;

    snapshot_ = store_.Snapshot();
    if (options_.encoder != nullptr) {
      LATERAL_ASSIGN_OR_RETURN(std::optional<CodecParts> parts, snapshot_->GetCodec());
      if (parts.has_value()) {
        LATERAL_ASSIGN_OR_RETURN(ResidualCodec codec,
                                 ResidualCodec::FromParts(parts->dim, parts->nbits, std::move(parts->centroids),
                                                          std::move(parts->bucket_cutoffs),
                                                          std::move(parts->bucket_weights)));
        codec_ = std::make_unique<ResidualCodec>(std::move(codec));
        ready_codec_.store(codec_.get(), std::memory_order_release);
      }
    }

    Report("ingesting");
    size_t next = 0;
    const size_t max_in_flight = 2 * static_cast<size_t>(tbb::this_task_arena::max_concurrency());
    tbb::parallel_pipeline(
        max_in_flight,
        tbb::make_filter<void, FileJob*>(tbb::filter_mode::serial_in_order,
                                         [&](tbb::flow_control& control) -> FileJob* {
                                           if (next >= files.size() || !status_.ok() || Cancelled()) {
                                             control.stop();
                                             return nullptr;
                                           }
                                           auto* job = new FileJob;
                                           job->file = std::move(files[next++]);
                                           return job;
                                         }) &
            tbb::make_filter<FileJob*, FileJob*>(tbb::filter_mode::parallel,
                                                 [&](FileJob* job) {
                                                   if (status_.ok()) Prepare(*job);
                                                   return job;
                                                 }) &
            tbb::make_filter<FileJob*, void>(tbb::filter_mode::serial_in_order, [&](FileJob* job) {
              std::unique_ptr<FileJob> owned(job);
              if (status_.ok()) Finish(std::move(owned));
            }));
    if (status_.ok() && !buffered_.empty()) status_ = TrainAndFlush();
    if (status_.ok()) status_ = FlushPending();
    report_.codec_centroids = trained_centroids_;
    if (!status_.ok()) return status_;
    report_.cancelled = Cancelled();
    if (options_.remove_missing && !report_.cancelled) {
      Report("removing");
      LATERAL_RETURN_IF_ERROR(RemoveMissing(paths));
    }
    // Searches open the store read-only; leave them no log to replay.
    LATERAL_RETURN_IF_ERROR(store_.Flush());
    report_.seconds = Seconds();
    Report("done");
    return report_;
  }

 private:
  bool Cancelled() const { return options_.should_stop && options_.should_stop(); }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

  void Report(const char* phase) {
    progress_.phase = phase;
    progress_.seconds = Seconds();
    if (options_.progress) options_.progress(progress_);
  }

  std::optional<Format> FormatFor(const WalkedFile& file) const {
    if (options_.forced_format.has_value()) return options_.forced_format;
    std::optional<Format> format = FormatFromPath(file.path);
    // A file named on the command line is read as text whatever its name;
    // inside folders only known extensions are taken.
    if (!format.has_value() && explicit_paths_.contains(file.path)) return Format::kText;
    return format;
  }

  int CountTokens(std::string_view text) const {
    if (options_.encoder == nullptr) return ApproximateTokenCount(text);
    absl::StatusOr<std::vector<int32_t>> ids = options_.encoder->tokenizer().Encode(text, false);
    // Invalid UTF-8 cannot reach here (extraction validated it); count bytes
    // as a safe over-estimate if it ever does.
    return ids.ok() ? static_cast<int>(ids->size()) : static_cast<int>(text.size());
  }

  // The parallel stage: everything about one file that needs no ordering.
  void Prepare(FileJob& job) {
    const WalkedFile& file = job.file;
    std::optional<Format> format = FormatFor(file);
    if (!format.has_value()) {
      job.outcome = FileJob::Outcome::kSkip;
      job.note = "unsupported file type";
      return;
    }
    job.format = *format;
    absl::StatusOr<std::optional<SourceRecord>> previous = snapshot_->GetSource(file.path);
    if (!previous.ok()) {
      job.outcome = FileJob::Outcome::kFail;
      job.note = std::string(previous.status().message());
      return;
    }
    job.previous = std::move(*previous);
    const std::string fingerprint = options_.fingerprint_for_format ? options_.fingerprint_for_format(job.format)
                                                                    : options_.settings_fingerprint;
    const bool same_settings = job.previous.has_value() && job.previous->settings_fingerprint == fingerprint;
    if (same_settings && job.previous->size == file.size && job.previous->mtime_ns == file.mtime_ns) {
      job.outcome = FileJob::Outcome::kUnchanged;
      return;
    }
    absl::StatusOr<MappedFile> mapped = MappedFile::Open(file.path);
    if (!mapped.ok()) {
      job.outcome = FileJob::Outcome::kFail;
      job.note = std::string(mapped.status().message());
      return;
    }
    std::string_view bytes(reinterpret_cast<const char*>(mapped->data()), mapped->size());
    job.record.path = file.path;
    job.record.content_sha256 = Sha256Hex(bytes);
    job.record.size = bytes.size();
    job.record.mtime_ns = file.mtime_ns;
    job.record.format = std::string(FormatName(job.format));
    job.record.settings_fingerprint = fingerprint;
    job.record.indexed_at_unix = static_cast<int64_t>(std::time(nullptr));
    if (same_settings && job.previous->content_sha256 == job.record.content_sha256) {
      job.outcome = FileJob::Outcome::kTouched;  // only the stat changed (touch, copy, checkout)
      job.record.document_ids = job.previous->document_ids;
      job.record.indexed_at_unix = job.previous->indexed_at_unix;
      return;
    }
    job.outcome = FileJob::Outcome::kWrite;
    if (bytes.empty()) {
      job.note = "empty file";
      return;
    }
    if (job.format != Format::kPdf && LooksBinary(bytes.substr(0, std::min(bytes.size(), kSniffBytes)))) {
      job.note = "binary file";
      return;
    }
    PassageOptions passage_options;
    passage_options.extract = options_.extract;
    passage_options.chunk.max_tokens = options_.chunk_tokens;
    passage_options.chunk.overlap_tokens = options_.overlap_tokens;
    passage_options.count_tokens = [this](std::string_view text) { return CountTokens(text); };
    absl::StatusOr<std::vector<DocumentRecord>> passages =
        BuildPassages(job.format, bytes, file.path, file.mtime_ns, passage_options);
    if (!passages.ok()) {
      job.outcome = FileJob::Outcome::kFail;
      job.note = std::string(passages.status().message());
      return;
    }
    job.passages = std::move(*passages);
    if (job.passages.empty()) job.note = "no text";
    // A file larger than one write (a big JSON Lines file) is analysed in
    // slices as Write sends it, so that its terms, the largest part of a
    // write in memory, are never all held at once.
    if (job.passages.size() <= PassagesPerWrite()) {
      AnalyzePassages(job, 0, job.passages.size());
      job.terms_ready = true;
    }
    if (options_.encoder != nullptr && !job.passages.empty()) {
      absl::Status encoded = EncodePassages(job);
      if (!encoded.ok()) {
        job.outcome = FileJob::Outcome::kFail;
        job.note = std::string(encoded.message());
      }
    }
  }

  // Encodes a file's passages in batches, in parallel (one large file may be
  // most of a run), a wave of batches at a time. With a codec already there
  // each batch is compressed at once, so a large file never holds all its
  // float vectors (100k passages of 256 tokens would be 13 GB). Without one,
  // a file that alone brings the codec's sample trains it from its own first
  // vectors rather than buffering every vector it has.
  absl::Status EncodePassages(FileJob& job) {
    constexpr size_t kEncodeBatch = 64, kBatchesPerWave = 16;
    const size_t n = job.passages.size();
    const size_t batches = (n + kEncodeBatch - 1) / kEncodeBatch;
    for (size_t wave = 0; wave < batches; wave += kBatchesPerWave) {
      const size_t wave_end = std::min(batches, wave + kBatchesPerWave);
      const ResidualCodec* codec = ready_codec_.load(std::memory_order_acquire);
      std::vector<std::vector<TokenEmbeddings>> embeddings(wave_end - wave);
      std::vector<std::vector<DocumentCodes>> codes(wave_end - wave);
      std::vector<absl::Status> errors(wave_end - wave);
      tbb::parallel_for(wave, wave_end, [&](size_t b) {
        const size_t begin = b * kEncodeBatch, end = std::min(n, begin + kEncodeBatch);
        std::vector<std::string> texts;
        for (size_t i = begin; i < end; ++i) texts.push_back(job.passages[i].text);
        absl::StatusOr<std::vector<TokenEmbeddings>> encoded = options_.encoder->EncodeDocuments(texts);
        if (!encoded.ok()) {
          errors[b - wave] = encoded.status();
          return;
        }
        if (codec == nullptr) {
          embeddings[b - wave] = std::move(*encoded);
          return;
        }
        for (const TokenEmbeddings& e : *encoded) codes[b - wave].push_back(Compress(*codec, e));
      });
      for (size_t b = 0; b < errors.size(); ++b) {
        if (!errors[b].ok()) return absl::Status(errors[b].code(), absl::StrCat("encoding failed: ", errors[b].message()));
        for (TokenEmbeddings& e : embeddings[b]) {
          job.encoded_tokens += e.num_vectors;
          job.embeddings.push_back(std::move(e));
        }
        for (DocumentCodes& c : codes[b]) {
          job.encoded_tokens += static_cast<int64_t>(c.centroid_ids.size());
          job.codes.push_back(std::move(c));
        }
      }
      if (codec == nullptr && wave_end < batches && job.encoded_tokens >= options_.codec_sample_tokens) {
        // Enough vectors in this file alone: train now, from them.
        const double passages_done = static_cast<double>(std::min(n, wave_end * kEncodeBatch));
        const double file_tokens = static_cast<double>(job.encoded_tokens) / passages_done * static_cast<double>(n);
        const double tokens_per_byte = file_tokens / static_cast<double>(std::max<uint64_t>(job.file.size, 1));
        LATERAL_ASSIGN_OR_RETURN(const ResidualCodec* trained, TrainCodec(job.embeddings, tokens_per_byte));
        job.codes.resize(job.embeddings.size());
        tbb::parallel_for(size_t{0}, job.embeddings.size(),
                          [&](size_t i) { job.codes[i] = Compress(*trained, job.embeddings[i]); });
        job.embeddings.clear();
        job.embeddings.shrink_to_fit();
      }
    }
    return absl::OkStatus();
  }

  // The ordered stage: codes, the atomic write, counters.
  void Finish(std::unique_ptr<FileJob> job) {
    ++progress_.files_done;
    progress_.bytes_done += static_cast<int64_t>(job->file.size);
    switch (job->outcome) {
      case FileJob::Outcome::kUnchanged:
        ++report_.unchanged;
        break;
      case FileJob::Outcome::kTouched:
        ++report_.unchanged;
        status_ = Touch(job->record);
        break;
      case FileJob::Outcome::kSkip:
        report_.skipped.push_back({job->file.path, job->note});
        break;
      case FileJob::Outcome::kFail:
        report_.failed.push_back({job->file.path, job->note});
        break;
      case FileJob::Outcome::kWrite:
        if (!job->note.empty()) report_.skipped.push_back({job->file.path, job->note});
        if (options_.encoder != nullptr && ready_codec_.load(std::memory_order_acquire) == nullptr &&
            !job->passages.empty()) {
          buffered_tokens_ += job->encoded_tokens;
          buffered_bytes_ += static_cast<int64_t>(job->file.size);
          buffered_.push_back(std::move(job));
          if (buffered_tokens_ >= options_.codec_sample_tokens) status_ = TrainAndFlush();
        } else {
          // Files buffered before a large file trained the codec go first.
          if (!buffered_.empty()) status_ = WriteBuffered();
          if (status_.ok()) status_ = Write(*job);
        }
        break;
    }
    Report("ingesting");
  }

  // Trains the codec on `vectors`, stores it and publishes it, once: when
  // another thread got there first, returns its codec. The centroid count
  // follows the collection's expected size: the run's bytes scaled by
  // `tokens_per_byte`. Called by the ordered stage (buffered small files) and
  // by the parallel stage (one file large enough on its own).
  absl::StatusOr<const ResidualCodec*> TrainCodec(const std::vector<TokenEmbeddings>& vectors, double tokens_per_byte) {
    absl::MutexLock lock(&codec_mu_);
    if (const ResidualCodec* ready = ready_codec_.load(std::memory_order_acquire)) return ready;
    const int dim = options_.encoder->dim();
    std::vector<float> sample;
    for (const TokenEmbeddings& e : vectors) sample.insert(sample.end(), e.vectors.begin(), e.vectors.end());
    const int64_t n = static_cast<int64_t>(sample.size() / dim);
    const int64_t expected_tokens = std::max<int64_t>(n, static_cast<int64_t>(tokens_per_byte * progress_.bytes_total));
    CodecOptions codec_options;
    codec_options.nbits = store_.manifest().nbits;
    LATERAL_ASSIGN_OR_RETURN(ResidualCodec codec,
                             ResidualCodec::Train(sample.data(), n, dim, expected_tokens, codec_options));
    CodecParts parts{codec.dim(), codec.nbits(), codec.centroids(), codec.bucket_cutoffs(), codec.bucket_weights()};
    LATERAL_RETURN_IF_ERROR(store_.PutCodec(parts));
    trained_centroids_ = codec.num_centroids();
    codec_ = std::make_unique<ResidualCodec>(std::move(codec));
    ready_codec_.store(codec_.get(), std::memory_order_release);
    return codec_.get();
  }

  // Trains the codec on the buffered files' vectors (unless a large file
  // trained it meanwhile), then writes the buffered files.
  absl::Status TrainAndFlush() {
    Report("training");
    std::vector<TokenEmbeddings> sample;
    for (const auto& job : buffered_) {
      for (const TokenEmbeddings& e : job->embeddings) sample.push_back(e);
    }
    const double tokens_per_byte = buffered_bytes_ > 0 ? static_cast<double>(buffered_tokens_) / buffered_bytes_ : 0;
    LATERAL_RETURN_IF_ERROR(TrainCodec(sample, tokens_per_byte).status());
    sample.clear();
    LATERAL_RETURN_IF_ERROR(WriteBuffered());
    Report("ingesting");
    return absl::OkStatus();
  }

  absl::Status WriteBuffered() {
    std::vector<std::unique_ptr<FileJob>> jobs = std::move(buffered_);
    buffered_.clear();
    buffered_tokens_ = buffered_bytes_ = 0;
    for (const auto& job : jobs) LATERAL_RETURN_IF_ERROR(Write(*job));
    return absl::OkStatus();
  }

  // Terms of passages [begin, end), in parallel (one file may hold most of a
  // run).
  void AnalyzePassages(FileJob& job, size_t begin, size_t end) const {
    job.terms.resize(job.passages.size());
    tbb::parallel_for(begin, end, [&](size_t i) {
      job.terms[i] = options_.analyzer->Terms(job.passages[i].text, LanguageOf(job.passages[i]));
    });
  }

  // Adds one file's change to the pending write. Several files share one
  // atomic Apply (each file is still all-old or all-new after a crash, and a
  // group is too): terms repeated across small files then cost one posting
  // update per group instead of one per file, which is most of the write cost.
  //
  // A file with more passages than one write is split over several, to bound
  // memory. Each write but the last also puts a provisional source record
  // that lists every id of the path that then exists (the old ones and the
  // ones written so far) and cannot match the file, so that after a crash the
  // next run sees the file as changed and deletes what the new version lacks.
  absl::Status Write(FileJob& job) {
    const size_t passages_per_write = PassagesPerWrite();
    for (const DocumentRecord& passage : job.passages) job.record.document_ids.push_back(passage.external_id);
    const absl::flat_hash_set<std::string> new_ids(job.record.document_ids.begin(), job.record.document_ids.end());
    std::vector<std::string> existing_ids;  // for provisional records
    absl::flat_hash_set<std::string> existing;
    if (job.previous.has_value()) {
      existing_ids = job.previous->document_ids;
      existing.insert(existing_ids.begin(), existing_ids.end());
    }
    const size_t n = job.passages.size();
    // Files encoded before the codec existed are compressed here, in parallel.
    const ResidualCodec* codec = ready_codec_.load(std::memory_order_acquire);
    const bool compress_here = job.codes.empty() && codec != nullptr && !job.embeddings.empty();
    if (compress_here) job.codes.resize(n);
    for (size_t begin = 0; begin < n; begin += passages_per_write) {
      const size_t end = std::min(n, begin + passages_per_write);
      if (!job.terms_ready) AnalyzePassages(job, begin, end);
      if (compress_here) {
        tbb::parallel_for(begin, end, [&](size_t i) {
          job.codes[i] = Compress(*codec, job.embeddings[i]);
          job.embeddings[i] = TokenEmbeddings();
        });
      }
      for (size_t i = begin; i < end; ++i) {
        DocumentWrite document;
        document.record = std::move(job.passages[i]);
        document.lexical = std::move(job.terms[i]);
        if (!job.codes.empty()) document.codes = std::move(job.codes[i]);
        if (existing.insert(document.record.external_id).second) existing_ids.push_back(document.record.external_id);
        pending_stats_.tokens += document.lexical.length;
        pending_stats_.encoded_tokens += static_cast<int64_t>(document.codes.centroid_ids.size());
        pending_.upserts.push_back(std::move(document));
        ++pending_stats_.passages_written;
      }
      if (end < n && pending_.upserts.size() >= passages_per_write) {
        SourceRecord provisional = job.record;
        provisional.content_sha256.clear();
        provisional.mtime_ns = kProvisionalMtime;
        provisional.document_ids = existing_ids;
        pending_.put_sources.push_back(std::move(provisional));
        LATERAL_RETURN_IF_ERROR(FlushPending());
      }
    }
    if (job.previous.has_value()) {
      for (const std::string& id : job.previous->document_ids) {
        if (!new_ids.contains(id)) {
          pending_.deletes.push_back(id);
          ++pending_stats_.passages_deleted;
        }
      }
    }
    pending_.put_sources.push_back(job.record);
    ++(job.previous.has_value() ? pending_stats_.updated : pending_stats_.added);
    pending_stats_.bytes_read += static_cast<int64_t>(job.record.size);
    if (pending_.upserts.size() >= passages_per_write || pending_.put_sources.size() >= kFilesPerWrite) {
      return FlushPending();
    }
    return absl::OkStatus();
  }

  // With a model, passages are expensive to redo after a kill: write sooner.
  size_t PassagesPerWrite() const {
    if (options_.passages_per_write > 0) return options_.passages_per_write;
    return options_.encoder != nullptr ? kEncodedPassagesPerWrite : kPassagesPerWrite;
  }

  // A source whose bytes did not change: only its stat is refreshed.
  absl::Status Touch(const SourceRecord& record) {
    pending_.put_sources.push_back(record);
    if (pending_.put_sources.size() >= kFilesPerWrite) return FlushPending();
    return absl::OkStatus();
  }

  absl::Status FlushPending() {
    if (pending_.put_sources.empty() && pending_.upserts.empty() && pending_.deletes.empty()) {
      return absl::OkStatus();
    }
    absl::StatusOr<std::vector<uint32_t>> applied = store_.Apply(pending_);
    if (!applied.ok()) {
      return absl::Status(applied.status().code(),
                          absl::StrCat("writing ", pending_.put_sources.size(), " files (",
                                       pending_.put_sources.front().path, " ...): ", applied.status().message()));
    }
    report_.added += pending_stats_.added;
    report_.updated += pending_stats_.updated;
    report_.passages_written += pending_stats_.passages_written;
    report_.passages_deleted += pending_stats_.passages_deleted;
    report_.bytes_read += pending_stats_.bytes_read;
    report_.tokens += pending_stats_.tokens;
    report_.encoded_tokens += pending_stats_.encoded_tokens;
    pending_ = CollectionWrite();
    pending_stats_ = IngestReport();
    progress_.passages = report_.passages_written;
    progress_.tokens = report_.tokens;
    progress_.encoded_tokens = report_.encoded_tokens;
    return absl::OkStatus();
  }

  // Deletes sources under the walked folders whose files are gone.
  absl::Status RemoveMissing(const std::vector<std::string>& paths) {
    std::vector<std::string> roots;
    for (const std::string& p : paths) {
      std::string root = AbsolutePath(p);
      std::error_code ec;
      if (std::filesystem::is_directory(root, ec)) roots.push_back(root == "/" ? root : root + "/");
    }
    if (roots.empty()) return absl::OkStatus();
    std::vector<SourceRecord> gone;
    std::unique_ptr<StoreSnapshot> snapshot = store_.Snapshot();
    LATERAL_RETURN_IF_ERROR(snapshot->ForEachSource([&](const SourceRecord& source) {
      bool under = std::any_of(roots.begin(), roots.end(),
                               [&](const std::string& r) { return source.path.rfind(r, 0) == 0; });
      if (!under) return absl::OkStatus();
      struct stat st;
      if (::lstat(source.path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) gone.push_back(source);
      return absl::OkStatus();
    }));
    for (const SourceRecord& source : gone) {
      CollectionWrite write;
      write.deletes = source.document_ids;
      write.delete_sources.push_back(source.path);
      LATERAL_RETURN_IF_ERROR(store_.Apply(write).status());
      ++report_.removed;
      report_.passages_deleted += static_cast<int64_t>(source.document_ids.size());
    }
    return absl::OkStatus();
  }

  CollectionStore& store_;
  const IngestOptions& options_;
  Clock::time_point start_;
  absl::flat_hash_set<std::string> explicit_paths_;
  std::unique_ptr<StoreSnapshot> snapshot_;
  std::unique_ptr<ResidualCodec> codec_;
  // Files' changes not yet applied, and what they will add to the report.
  static constexpr size_t kPassagesPerWrite = 8192;
  static constexpr size_t kFilesPerWrite = 1024;
  static constexpr size_t kEncodedPassagesPerWrite = 256;
  // No file has this modification time: a provisional source never matches.
  static constexpr int64_t kProvisionalMtime = std::numeric_limits<int64_t>::min();
  CollectionWrite pending_;
  IngestReport pending_stats_;
  // codec_ as every stage reads it: set once (under codec_mu_), never freed
  // before the run ends.
  std::atomic<const ResidualCodec*> ready_codec_{nullptr};
  absl::Mutex codec_mu_;
  int64_t trained_centroids_ = 0;  // > 0 when this run trained the codec
  std::vector<std::unique_ptr<FileJob>> buffered_;
  int64_t buffered_tokens_ = 0, buffered_bytes_ = 0;
  IngestProgress progress_;
  IngestReport report_;
  absl::Status status_;
};

}  // namespace

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) return path;
  std::string normal = absolute.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

absl::StatusOr<IngestReport> Ingest(CollectionStore& store, const std::vector<std::string>& paths,
                                    const IngestOptions& options) {
  Pipeline pipeline(store, options);
  return pipeline.Run(paths);
}

absl::StatusOr<int64_t> RemoveSources(CollectionStore& store, const std::vector<std::string>& paths) {
  std::unique_ptr<StoreSnapshot> snapshot = store.Snapshot();
  std::vector<SourceRecord> matched;
  absl::flat_hash_set<std::string> seen;
  for (const std::string& p : paths) {
    const std::string path = AbsolutePath(p);
    const std::string prefix = path == "/" ? path : path + "/";
    size_t before = matched.size();
    LATERAL_RETURN_IF_ERROR(snapshot->ForEachSource([&](const SourceRecord& source) {
      if ((source.path == path || source.path.rfind(prefix, 0) == 0) && seen.insert(source.path).second) {
        matched.push_back(source);
      }
      return absl::OkStatus();
    }));
    if (matched.size() == before && !seen.contains(path)) {
      return absl::NotFoundError(absl::StrCat(p, ": no source of the collection is at or under this path"));
    }
  }
  for (const SourceRecord& source : matched) {
    CollectionWrite write;
    write.deletes = source.document_ids;
    write.delete_sources.push_back(source.path);
    LATERAL_RETURN_IF_ERROR(store.Apply(write).status());
  }
  LATERAL_RETURN_IF_ERROR(store.Flush());
  return static_cast<int64_t>(matched.size());
}

}  // namespace lateral::ingest
