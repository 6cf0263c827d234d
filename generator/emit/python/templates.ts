/**
 * Handlebars templates of the Python emitter. They live in a .ts file (not .hbs) so the compiled
 * generator in dist/ carries them without a copy step. Each module is rendered body first, header
 * second, so the header's imports can list whatever the body used.
 */

/** `_pb2.py` banner and runtime version guard, then protoc's import block begins. */
export const PB2_HEADER = `# -*- coding: utf-8 -*-
# {{banner}}
# source: {{source}}
"""Generated protocol buffer code."""
try:
  from google.protobuf import descriptor as _descriptor
  from google.protobuf import descriptor_pool as _descriptor_pool
  from google.protobuf import runtime_version as _runtime_version
  from google.protobuf import symbol_database as _symbol_database
  from google.protobuf.internal import builder as _builder
except ImportError as _error:
  raise ImportError(
      '{{source}}: this generated module needs protobuf>={{minVersion}}; '
      'fix: pip install "protobuf>={{minVersion}}"') from _error
_runtime_version.ValidateProtobufRuntimeVersion(
    _runtime_version.Domain.PUBLIC,
    {{major}},
    {{minor}},
    {{patch}},
    '',
    '{{source}}'
)
# @@protoc_insertion_point(imports)
`;

/** Everything protoc writes after its version guard, line for line. */
export const PB2_BODY = `
_sym_db = _symbol_database.Default()


{{#each imports}}
{{this}}
{{/each}}

{{#each publicImports}}
{{this}}
{{/each}}

DESCRIPTOR = _descriptor_pool.Default().AddSerializedFile(b'{{serialized}}')

_globals = globals()
_builder.BuildMessageAndEnumDescriptors(DESCRIPTOR, _globals)
_builder.BuildTopDescriptorsAndMessages(DESCRIPTOR, '{{moduleName}}', _globals)
if not _descriptor._USE_C_DESCRIPTORS:
{{#unless fileHasOptions}}
  DESCRIPTOR._loaded_options = None
{{/unless}}
{{#each optionFixes}}
  {{target}}._loaded_options = None
  {{target}}._serialized_options = {{options}}
{{/each}}
{{#each intervals}}
  _globals['{{name}}']._serialized_start={{start}}
  _globals['{{name}}']._serialized_end={{end}}
{{/each}}
{{#if genericServices}}
_builder.BuildServices(DESCRIPTOR, '{{moduleName}}', _globals)
{{/if}}
# @@protoc_insertion_point(module_scope)
`;
