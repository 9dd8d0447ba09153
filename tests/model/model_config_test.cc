#include "encoder/model/model_config.h"

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace lateral {
namespace {

absl::StatusOr<ModelConfig> Parse(const std::string& text) {
  auto json = ParseJson(text, "config.json");
  if (!json.ok()) return json.status();
  return ParseModelConfig(*json, "config.json");
}

const char* kBase = R"({"model_type": "lfm2", "vocab_size": 100, "hidden_size": 64,
  "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 256)";

TEST(ModelConfigTest, FfnWidthRuleMatchesPublishedSizes) {
  // Worked values of LFM2.md §2.2: raw block_ff_dim -> width of the real checkpoints.
  EXPECT_EQ(AdjustedFfnSize(6656, true, 1.0, 256), 4608);
  EXPECT_EQ(AdjustedFfnSize(10240, true, 1.0, 256), 6912);
  EXPECT_EQ(AdjustedFfnSize(12288, true, 1.0, 256), 8192);
  EXPECT_EQ(AdjustedFfnSize(16128, true, 1.0, 256), 10752);
  EXPECT_EQ(AdjustedFfnSize(3840, true, 1.0, 256), 2560);
  EXPECT_EQ(AdjustedFfnSize(10752, false, 1.0, 256), 10752);
  // The fixtures: lfm2-tiny 256 -> 192 (multiple 32); lfm2-check 320 x1.5 -> 320 (multiple 64).
  EXPECT_EQ(AdjustedFfnSize(256, true, 1.0, 32), 192);
  EXPECT_EQ(AdjustedFfnSize(320, true, 1.5, 64), 320);
  // Without a multiplier transformers skips the round-up.
  EXPECT_EQ(AdjustedFfnSize(256, true, std::nullopt, 256), 170);
}

TEST(ModelConfigTest, ReadsFixtureConfigs) {
  auto tiny = LoadModelConfig(testing::TestDataPath("lfm2-tiny"));
  ASSERT_TRUE(tiny.ok()) << tiny.status();
  EXPECT_EQ(tiny->ffn_size, 192);
  EXPECT_EQ(tiny->head_dim, 16);
  EXPECT_EQ(tiny->NumAttentionLayers(), 2);
  EXPECT_EQ(tiny->layer_kinds[2], LayerKind::kAttention);
  EXPECT_TRUE(tiny->tie_word_embeddings);
  EXPECT_DOUBLE_EQ(tiny->rope_theta, 1e6);

  auto check = LoadModelConfig(testing::TestDataPath("lfm2-check"));
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->ffn_size, 320);
  EXPECT_EQ(check->conv_kernel, 4);
  EXPECT_TRUE(check->conv_bias);
  EXPECT_FALSE(check->tie_word_embeddings);
  EXPECT_DOUBLE_EQ(check->rope_theta, 10000.0);
  EXPECT_FLOAT_EQ(check->norm_eps, 1e-6f);

  auto moe = LoadModelConfig(testing::TestDataPath("lfm2moe-check"));
  ASSERT_TRUE(moe.ok()) << moe.status();
  ASSERT_TRUE(moe->moe.has_value());
  EXPECT_EQ(moe->ffn_size, 160);  // no auto-adjust for lfm2_moe
  EXPECT_EQ(moe->moe->num_dense_layers, 2);
  EXPECT_FALSE(moe->moe->use_expert_bias);
  EXPECT_FALSE(moe->moe->normalize_top_k);
  EXPECT_FLOAT_EQ(moe->moe->routed_scaling_factor, 2.5f);
  EXPECT_FALSE(moe->IsMoeLayer(1));
  EXPECT_TRUE(moe->IsMoeLayer(2));
}

TEST(ModelConfigTest, LayerKindsFromFullAttnIdxsOrAllAttention) {
  auto c = Parse(std::string(kBase) + R"(, "full_attn_idxs": [1]})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->layer_kinds, (std::vector<LayerKind>{LayerKind::kConv, LayerKind::kAttention, LayerKind::kConv}));
  c = Parse(std::string(kBase) + "}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->NumAttentionLayers(), 3);
}

TEST(ModelConfigTest, RopeThetaFromEitherKeyAndBlockFfDimPrecedence) {
  auto c = Parse(std::string(kBase) + R"(, "rope_theta": 5000.0, "block_ff_dim": 384})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->rope_theta, 5000.0);
  EXPECT_EQ(c->ffn_size, 256);  // 2*384/3 = 256, already a multiple of 256
  c = Parse(std::string(kBase) + R"(, "rope_parameters": {"rope_theta": 7.0e6, "rope_type": "default"}, "tie_embedding": false})");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_DOUBLE_EQ(c->rope_theta, 7e6);
  EXPECT_FALSE(c->tie_word_embeddings);
}

TEST(ModelConfigTest, ClearErrorsForBadConfigs) {
  struct Bad {
    std::string text;
    std::string mentions;
  } cases[] = {
      {R"({"model_type": "llama", "vocab_size": 1})", "model_type"},
      {R"({"vocab_size": 1})", "model_type"},
      {std::string(kBase) + R"(, "layer_types": ["conv", "mamba", "conv"]})", "layer_types"},
      {std::string(kBase) + R"(, "layer_types": ["conv"]})", "layer_types"},
      {std::string(kBase) + R"(, "num_key_value_heads": 3})", "num_key_value_heads"},
      {std::string(kBase) + R"(, "hidden_size": "wide"})", "hidden_size"},
      {std::string(kBase) + R"(, "full_attn_idxs": [7]})", "full_attn_idxs"},
      {std::string(kBase) + R"(, "rope_parameters": {"rope_type": "yarn", "rope_theta": 1e6}})", "rope_type"},
      {R"({"model_type": "lfm2", "vocab_size": 100})", "hidden_size"},
      {R"({"model_type": "lfm2", )", "config.json"},
      {std::string(kBase) + R"(, "model_type": "lfm2_moe", "num_experts": 4, "num_experts_per_tok": 8, "moe_intermediate_size": 8})",
       "num_experts_per_tok"},
  };
  for (const Bad& bad : cases) {
    auto c = Parse(bad.text);
    ASSERT_FALSE(c.ok()) << bad.text;
    EXPECT_NE(c.status().message().find(bad.mentions), std::string::npos)
        << "message \"" << c.status().message() << "\" should mention " << bad.mentions;
    EXPECT_NE(c.status().message().find("config.json"), std::string::npos) << c.status();
  }
}

}  // namespace
}  // namespace lateral
