# cli/hub/: finding models in the Hugging Face cache layout (model_locator) and
# downloading them into it (hub_client, used by `lateral pull`).
set(LATERAL_CLI_HUB_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/blob_digest.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/hub_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/interrupt.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_locator.cc
  ${CMAKE_CURRENT_LIST_DIR}/progress.cc
)
