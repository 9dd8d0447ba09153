// The forward pass against what Hugging Face transformers computes for the
// same checkpoints (tests/data, see its README), plus the properties that tie
// the code paths together: cached decode equals a full forward, batching and
// chunking change nothing.
#include "encoder/model/lfm2_model.h"

#include <algorithm>
#include <string>
#include <vector>

#include "common/json.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

using ::lateral::testing::AllClose;
using ::lateral::testing::Fixture;
using ::lateral::testing::TestDataPath;

constexpr double kTolerance = 1e-4;  // the bound; float32 noise is ~1e-6

int ArgMax(const float* v, int64_t n) { return static_cast<int>(std::max_element(v, v + n) - v); }

struct ModelCase {
  std::string dir;
};

class ModelFixtureTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto model = Lfm2Model::Load(TestDataPath(GetParam()));
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    expected_ = std::make_unique<Fixture>(GetParam() + "/expected.safetensors");
    auto meta = ReadJsonFile(TestDataPath(GetParam() + "/expected.json"));
    ASSERT_TRUE(meta.ok()) << meta.status();
    for (const auto& c : (*meta)["cases"]) margins_.push_back(c["min_top2_margin"].get<double>());
  }

  std::vector<int32_t> Ids(size_t c) const { return expected_->Ints("case" + std::to_string(c) + ".input_ids"); }

  ForwardResult Run(const std::vector<int32_t>& ids, bool logits, SequenceState* state = nullptr,
                    const Lfm2Model* model = nullptr) {
    if (model == nullptr) model = model_.get();
    SequenceState local = model->NewState();
    SequenceInput input{state ? state : &local, ids, {}};
    ForwardOptions options;
    options.return_last_logits = logits;
    auto result = model->Forward({&input, 1}, options);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? std::move(*result) : ForwardResult();
  }

  // The paths whose caching and batching the property tests check, with how
  // far apart two ways of computing the same rows may be: the f32 reference
  // (the same products up to summation order), and this CPU's default
  // precision, whose bf16 prefill on AMX carries activations to 16
  // significant bits (2^-17 relative) while decode keeps them exact.
  std::vector<std::pair<const Lfm2Model*, double>> PathsToCompare() {
    if (f32_model_ == nullptr) {
      ModelLoadOptions options;
      options.precision = Precision::kF32;
      auto model = Lfm2Model::Load(TestDataPath(GetParam()), options);
      EXPECT_TRUE(model.ok()) << model.status();
      if (model.ok()) f32_model_ = std::move(*model);
    }
    std::vector<std::pair<const Lfm2Model*, double>> paths;
    if (f32_model_ != nullptr) paths.push_back({f32_model_.get(), 1e-5});
    if (model_->precision() != Precision::kF32) paths.push_back({model_.get(), 2e-4});
    return paths;
  }

  // Runs `all` as one batch on every path and checks it against runs of each
  // sequence alone: rows, offsets, last logits and the states' positions.
  // The batch must have taken at least `min_passes` passes (Forward splits
  // more than Lfm2Model::kRowsPerPass tokens; the observer counts them).
  void ExpectBatchEqualsSeparateRuns(const std::vector<std::vector<int32_t>>& all, int min_passes) {
    int64_t total = 0;
    for (const std::vector<int32_t>& ids : all) total += static_cast<int64_t>(ids.size());
    for (const auto& [model, tolerance] : PathsToCompare()) {
      SCOPED_TRACE(PrecisionName(model->precision()));
      std::vector<SequenceState> states;
      for (size_t c = 0; c < all.size(); ++c) states.push_back(model->NewState());
      std::vector<SequenceInput> inputs;
      for (size_t c = 0; c < all.size(); ++c) inputs.push_back({&states[c], all[c], {}});
      ForwardOptions options;
      options.return_last_logits = true;
      int passes = 0;
      options.observer = [&](int layer, const float*, int64_t, int64_t) { passes += layer == -1; };
      auto batch = model->Forward(inputs, options);
      ASSERT_TRUE(batch.ok()) << batch.status();
      EXPECT_GE(passes, min_passes);
      const int64_t hidden = model->config().hidden_size, vocab = model->config().vocab_size;
      ASSERT_EQ(batch->row_offsets.size(), all.size() + 1);
      EXPECT_EQ(batch->row_offsets.back(), total);
      ASSERT_EQ(batch->hidden_states.size(), static_cast<size_t>(total * hidden));
      ASSERT_EQ(batch->last_logits.size(), all.size() * vocab);
      for (size_t c = 0; c < all.size(); ++c) {
        EXPECT_EQ(states[c].position(), static_cast<int64_t>(all[c].size()));
        ForwardResult single = Run(all[c], true, nullptr, model);
        std::vector<float> rows(batch->hidden_states.begin() + batch->row_offsets[c] * hidden,
                                batch->hidden_states.begin() + batch->row_offsets[c + 1] * hidden);
        EXPECT_TRUE(AllClose(rows, single.hidden_states, tolerance)) << "sequence " << c;
        std::vector<float> logits(batch->last_logits.begin() + c * vocab,
                                  batch->last_logits.begin() + (c + 1) * vocab);
        EXPECT_TRUE(AllClose(logits, single.last_logits, tolerance)) << "sequence " << c;
      }
    }
  }

  std::unique_ptr<Lfm2Model> model_;
  std::unique_ptr<Lfm2Model> f32_model_;
  std::unique_ptr<Fixture> expected_;
  std::vector<double> margins_;
};

TEST_P(ModelFixtureTest, HiddenStatesAndLogitsMatchReference) {
  ASSERT_FALSE(margins_.empty());
  for (size_t c = 0; c < margins_.size(); ++c) {
    SCOPED_TRACE("case " + std::to_string(c));
    ForwardResult r = Run(Ids(c), /*logits=*/true);
    EXPECT_TRUE(AllClose(r.hidden_states, expected_->Floats("case" + std::to_string(c) + ".last_hidden_state"),
                         kTolerance));
    EXPECT_TRUE(AllClose(r.last_logits, expected_->Floats("case" + std::to_string(c) + ".logits_last"),
                         kTolerance));
  }
}

TEST_P(ModelFixtureTest, GreedyDecodeThroughCacheMatchesReference) {
  const int64_t vocab = model_->config().vocab_size;
  for (size_t c = 0; c < margins_.size(); ++c) {
    SCOPED_TRACE("case " + std::to_string(c));
    const std::string key = "case" + std::to_string(c);
    const std::vector<int32_t> expected_ids = expected_->Ints(key + ".greedy_ids");
    const bool has_steps = expected_->Has(key + ".greedy_step_logits");
    const std::vector<float> step_logits = has_steps ? expected_->Floats(key + ".greedy_step_logits")
                                                     : std::vector<float>();
    SequenceState state = model_->NewState();
    ForwardResult r = Run(Ids(c), true, &state);
    for (size_t step = 0; step < expected_ids.size(); ++step) {
      const float* logits = r.last_logits.data();
      if (has_steps) {
        std::vector<float> ours(logits, logits + vocab);
        std::vector<float> ref(step_logits.begin() + step * vocab, step_logits.begin() + (step + 1) * vocab);
        EXPECT_TRUE(AllClose(ours, ref, kTolerance)) << "step " << step;
      }
      const int ours = ArgMax(logits, vocab);
      if (ours != expected_ids[step]) {
        // Only a near-tie may flip the choice; the fixture records how near.
        EXPECT_LT(margins_[c], 1e-3) << "step " << step << " chose " << ours << ", reference "
                                     << expected_ids[step];
        EXPECT_LT(logits[ours] - logits[expected_ids[step]], 1e-3) << "step " << step;
        break;
      }
      r = Run({expected_ids[step]}, true, &state);
    }
  }
}

TEST_P(ModelFixtureTest, CachedDecodeEqualsFullForward) {
  const std::vector<int32_t> ids = Ids(margins_.size() - 1);  // the longest case
  ASSERT_GT(ids.size(), 10u);
  for (const auto& [model, tolerance] : PathsToCompare()) {
    SCOPED_TRACE(PrecisionName(model->precision()));
    ForwardResult full = Run(ids, true, nullptr, model);
    const int64_t hidden = model->config().hidden_size;

    SequenceState state = model->NewState();
    const size_t prefix = ids.size() / 2;
    ForwardResult r = Run(std::vector<int32_t>(ids.begin(), ids.begin() + prefix), true, &state, model);
    std::vector<float> stitched = r.hidden_states;
    for (size_t i = prefix; i < ids.size(); ++i) {
      r = Run({ids[i]}, true, &state, model);
      stitched.insert(stitched.end(), r.hidden_states.begin(), r.hidden_states.end());
    }
    EXPECT_EQ(state.position(), static_cast<int64_t>(ids.size()));
    ASSERT_EQ(stitched.size(), ids.size() * hidden);
    EXPECT_TRUE(AllClose(stitched, full.hidden_states, tolerance));
    EXPECT_TRUE(AllClose(r.last_logits, full.last_logits, tolerance));
  }
}

TEST_P(ModelFixtureTest, BatchOfSequencesEqualsSeparateRuns) {
  std::vector<std::vector<int32_t>> all;
  for (size_t c = 0; c < margins_.size(); ++c) all.push_back(Ids(c));
  ExpectBatchEqualsSeparateRuns(all, /*min_passes=*/1);
}

// A single sequence longer than a pass runs as consecutive pieces on its own
// state; token-by-token decode never splits anything, so it is the oracle.
TEST_P(ModelFixtureTest, SequenceLongerThanOnePassEqualsTokenByTokenDecode) {
  const std::vector<int32_t> base = Ids(margins_.size() - 1);
  std::vector<int32_t> ids;
  while (static_cast<int64_t>(ids.size()) < 2 * Lfm2Model::kRowsPerPass + 37) ids.insert(ids.end(), base.begin(), base.end());
  for (const auto& [model, tolerance] : PathsToCompare()) {
    SCOPED_TRACE(PrecisionName(model->precision()));
    int passes = 0;
    SequenceState full_state = model->NewState();
    ForwardOptions options;
    options.return_last_logits = true;
    options.observer = [&](int layer, const float*, int64_t, int64_t) { passes += layer == -1; };
    SequenceInput input{&full_state, ids, {}};
    auto full = model->Forward({&input, 1}, options);
    ASSERT_TRUE(full.ok()) << full.status();
    EXPECT_EQ(passes, 3);
    EXPECT_EQ(full_state.position(), static_cast<int64_t>(ids.size()));
    const int64_t hidden = model->config().hidden_size;
    ASSERT_EQ(full->hidden_states.size(), ids.size() * hidden);
    SequenceState state = model->NewState();
    std::vector<float> stitched;
    ForwardResult step;
    for (int32_t id : ids) {
      step = Run({id}, true, &state, model);
      stitched.insert(stitched.end(), step.hidden_states.begin(), step.hidden_states.end());
    }
    EXPECT_TRUE(AllClose(stitched, full->hidden_states, tolerance));
    EXPECT_TRUE(AllClose(step.last_logits, full->last_logits, tolerance));
  }
}

// A batch with more tokens than one pass (Lfm2Model::kRowsPerPass) runs as
// several passes of whole sequences; the caller must not see the seams: rows,
// offsets, logits and the states' positions are those of separate runs. One
// sequence is longer than a pass on its own.
TEST_P(ModelFixtureTest, BatchLargerThanOnePassEqualsSeparateRuns) {
  std::vector<std::vector<int32_t>> all;
  int64_t total = 0;
  for (int i = 0; total <= 3 * Lfm2Model::kRowsPerPass; ++i) {
    std::vector<int32_t> ids = Ids(i % margins_.size());
    if (i == 5) {  // one sequence longer than a pass
      std::vector<int32_t> longer;
      while (static_cast<int64_t>(longer.size()) <= Lfm2Model::kRowsPerPass) {
        longer.insert(longer.end(), ids.begin(), ids.end());
      }
      ids = longer;
    }
    total += static_cast<int64_t>(ids.size());
    all.push_back(std::move(ids));
  }
  ExpectBatchEqualsSeparateRuns(all, /*min_passes=*/3);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelFixtureTest,
                         ::testing::Values("lfm2-tiny", "lfm2moe-tiny", "lfm2-check", "lfm2moe-check",
                                           "lfm2-tiny-f16"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// A right-padded batch with an attention mask, as transformers runs it: masked
// positions are not attended to and enter conv layers as zeros, yet still get outputs.
TEST(MaskedBatchTest, MatchesReferencePaddedBatch) {
  auto model = Lfm2Model::Load(TestDataPath("lfm2-tiny-f16"));
  ASSERT_TRUE(model.ok()) << model.status();
  Fixture expected("batch-mask/expected.safetensors");
  const std::vector<int32_t> ids = expected.Ints("input_ids");
  const std::vector<int32_t> mask32 = expected.Ints("attention_mask");
  const std::vector<float> hidden = expected.Floats("last_hidden_state");
  const std::vector<int64_t> shape = expected.Shape("input_ids");
  ASSERT_EQ(shape.size(), 2u);
  const int64_t batch = shape[0], length = shape[1], width = (*model)->config().hidden_size;
  std::vector<std::vector<uint8_t>> masks(batch);
  std::vector<SequenceState> states;
  std::vector<SequenceInput> inputs;
  for (int64_t b = 0; b < batch; ++b) {
    states.push_back((*model)->NewState());
    for (int64_t t = 0; t < length; ++t) masks[b].push_back(static_cast<uint8_t>(mask32[b * length + t]));
  }
  for (int64_t b = 0; b < batch; ++b) {
    inputs.push_back({&states[b], absl::MakeConstSpan(ids.data() + b * length, length), masks[b]});
  }
  auto result = (*model)->Forward(inputs, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(AllClose(result->hidden_states, hidden, kTolerance));
  // Masked positions are part of that comparison; check one explicitly too.
  ASSERT_EQ(result->hidden_states.size(), static_cast<size_t>(batch * length * width));
}

TEST(ForwardErrorsTest, RejectsBadInputs) {
  auto model = Lfm2Model::Load(TestDataPath("lfm2moe-tiny"));
  ASSERT_TRUE(model.ok()) << model.status();
  SequenceState state = (*model)->NewState();
  std::vector<int32_t> out_of_range = {5, 16384};
  SequenceInput input{&state, out_of_range, {}};
  auto r = (*model)->Forward({&input, 1}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("16384"), std::string::npos) << r.status();
  EXPECT_EQ(state.position(), 0);  // a refused call leaves the state as it was

  std::vector<int32_t> ids = {5, 6};
  std::vector<uint8_t> short_mask = {1};
  input = {&state, ids, short_mask};
  EXPECT_FALSE((*model)->Forward({&input, 1}, {}).ok());
  input = {&state, {}, {}};
  EXPECT_FALSE((*model)->Forward({&input, 1}, {}).ok());
}

}  // namespace
}  // namespace lateral
