/**
 * Handlebars templates of `.pyi` stubs (mypy-protobuf's layout). Nested messages and enums reuse the
 * partials at an indented call site, which Handlebars indents as a block; docstrings are pre-rendered
 * relative to their own partial's first column for that reason.
 */
import { registerPartial } from "./helpers";

const ENUM = `{{#if keyword}}
# enum {{name}} is named with a Python keyword, so it has no class in this stub.
{{!-- else: an enum Python can name --}}
{{else}}
class _{{name}}:
    ValueType = {{typing}}.NewType("ValueType", {{builtins}}.int)
    V: {{typing}}.TypeAlias = ValueType

class _{{name}}EnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[{{valueRef}}], {{builtins}}.type):
    DESCRIPTOR: _descriptor.EnumDescriptor
{{#each values}}
{{#if omitted}}
    # {{name}} = {{number}} cannot be an attribute (a Python keyword or a wrapper method): use Value("{{name}}").
{{!-- else: an ordinary value name --}}
{{else}}
    {{name}}: {{../valueRef}}  # {{number}}
{{/if}}
{{/each}}

class {{name}}(_{{name}}, metaclass=_{{name}}EnumTypeWrapper):
{{#if doc}}
    {{doc}}
{{!-- else: no comment to carry --}}
{{else}}
    ...
{{/if}}

{{#each values}}
{{#unless omitted}}
{{name}}: {{../publicValueRef}}  # {{number}}
{{#if doc}}
{{doc}}
{{/if}}
{{/unless}}
{{/each}}
{{/if}}
`;

const MESSAGE = `{{#if keyword}}
# message {{name}} is named with a Python keyword, so it has no class in this stub.
{{!-- else: a message Python can name --}}
{{else}}
@{{typing}}.final
class {{name}}(_message.Message):
{{#if doc}}
    {{doc}}

{{/if}}
    DESCRIPTOR: _descriptor.Descriptor
{{#each enums}}

    {{> pyiEnum}}
{{/each}}
{{#each messages}}

    {{> pyiMessage}}
{{/each}}

{{#each fieldNumbers}}
    {{this}}: {{../builtins}}.int
{{/each}}
{{#each attributes}}
    {{name}}: {{type}}
{{#if doc}}
    {{doc}}
{{/if}}
{{/each}}
{{#each properties}}
    @{{../builtins}}.property
    def {{name}}(self) -> {{type}}:
{{#if doc}}
        {{doc}}
{{!-- else: a property needs a body --}}
{{else}}
        ...
{{/if}}
{{/each}}
{{#each keywordFields}}
    # Field \`{{declaration}}\` is named with a Python keyword, so it has no attribute or __init__
    # argument here; it works at run time: getattr(msg, "{{name}}"), setattr(msg, "{{name}}", v).
{{/each}}
{{#if initParams.length}}
    def __init__(
        {{selfName}},
        *,
{{#each initParams}}
        {{name}}: {{initType}} = ...,
{{/each}}
    ) -> None: ...
{{!-- else: no settable field --}}
{{else}}
    def __init__({{selfName}}) -> None: ...
{{/if}}
    def HasField(self, field_name: {{hasFieldArg}}) -> {{builtins}}.bool: ...
    def ClearField(self, field_name: {{clearFieldArg}}) -> None: ...
{{#each oneofs}}
{{#if ../overloadOneofs}}
    @{{../typing}}.overload
{{/if}}
    def WhichOneof(self, oneof_group: {{arg}}) -> {{result}} | None: ...
{{/each}}
{{/if}}
`;

registerPartial("pyiEnum", ENUM);
registerPartial("pyiMessage", MESSAGE);

/** Banner, file docstring and the imports the body used. */
export const PYI_HEADER = `# {{banner}}
# source: {{source}}
{{#if doc}}
{{doc}}
{{/if}}

{{#each imports}}
{{this}}
{{/each}}
{{#each publicImports}}
{{this}}
{{/each}}
`;

export const PYI_BODY = `
DESCRIPTOR: _descriptor.FileDescriptor
{{#each enums}}

{{> pyiEnum}}
{{#unless keyword}}
Global___{{name}}: {{../typing}}.TypeAlias = {{name}}
{{/unless}}
{{/each}}
{{#each messages}}

{{> pyiMessage}}

{{#unless keyword}}
Global___{{name}}: {{../typing}}.TypeAlias = {{name}}
{{/unless}}
{{/each}}
`;
