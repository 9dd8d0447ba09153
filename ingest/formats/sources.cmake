# ingest/formats: txt, Markdown, HTML, JSON Lines, CSV/TSV and PDF to text (part of lateral_ingest).
set(LATERAL_INGEST_FORMATS_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/csv.cc
  ${CMAKE_CURRENT_LIST_DIR}/csv_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/extract.cc
  ${CMAKE_CURRENT_LIST_DIR}/format.cc
  ${CMAKE_CURRENT_LIST_DIR}/html.cc
  ${CMAKE_CURRENT_LIST_DIR}/html_encoding.cc
  ${CMAKE_CURRENT_LIST_DIR}/jsonl.cc
  ${CMAKE_CURRENT_LIST_DIR}/line_endings.cc
  ${CMAKE_CURRENT_LIST_DIR}/markdown.cc
  ${CMAKE_CURRENT_LIST_DIR}/markdown_inline.cc
  ${CMAKE_CURRENT_LIST_DIR}/pdf.cc
  ${CMAKE_CURRENT_LIST_DIR}/plain_text.cc
  ${CMAKE_CURRENT_LIST_DIR}/record_fields.cc
)
