//! JSON Schema → Python annotations, and the `TypedDict` classes those annotations name.
//!
//! One [`Types`] serves one generated file: it owns the file's class namespace, resolves `$ref`s
//! against the schema they came from (a tool's `inputSchema` and its result schema are separate
//! roots) and shares structurally identical classes. It never fails: whatever it cannot express
//! becomes `Any`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::names::{Namer, class_name};
use crate::schema::{
    declared_types, doc_of, field_doc, has_type_info, is_object_schema, merge_object,
    percent_decode, required_set, singular_path, variant_path,
};
use crate::text::py_str;
pub(crate) use crate::ty::Ty;
use crate::ty::{literal_ty, scalar_ty};

/// Enums with more members than this are typed by their base type (`str`), not a `Literal`.
pub(crate) const ENUM_CAP: usize = 50;
/// Deeper schemas than this are `Any` from there down (guards against pathological nesting).
const MAX_DEPTH: usize = 48;

/// A key of a `TypedDict`.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) key: String,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    pub(crate) doc: String,
}

/// A `TypedDict` class to emit.
#[derive(Debug, Clone)]
pub(crate) struct Class {
    pub(crate) name: String,
    pub(crate) doc: String,
    pub(crate) fields: Vec<Field>,
}

enum RefState {
    Class(usize),
    InProgress,
    Done(Ty),
}

/// The types of one generated file.
pub(crate) struct Types<'s> {
    pub(crate) classes: Vec<Class>,
    names: Namer,
    roots: Vec<(&'s Value, String)>,
    refs: HashMap<(usize, String), RefState>,
    shapes: HashMap<String, usize>,
}

impl<'s> Types<'s> {
    /// An empty set whose class names avoid `reserved`.
    pub(crate) fn new(reserved: &[&str]) -> Self {
        let mut names = Namer::classes();
        for r in reserved {
            names.reserve(r);
        }
        Self {
            classes: Vec::new(),
            names,
            roots: Vec::new(),
            refs: HashMap::new(),
            shapes: HashMap::new(),
        }
    }

    /// Registers a root schema (`$ref`s inside it resolve against it); `name` names its class.
    pub(crate) fn add_root(&mut self, schema: &'s Value, name: String) -> usize {
        self.roots.push((schema, name));
        self.roots.len() - 1
    }

    /// The type of a whole root (a result schema): its own class when it is an object.
    pub(crate) fn root_ty(&mut self, root: usize) -> Ty {
        self.ref_ty(root, "#", 0)
    }

    /// The type of `schema` (found in `root`); `path` names the classes it creates.
    pub(crate) fn ty(&mut self, root: usize, schema: &Value, path: &[String], depth: usize) -> Ty {
        let Some(obj) = schema.as_object() else {
            return Ty::Any;
        };
        if depth > MAX_DEPTH {
            return Ty::Any;
        }
        let ty = self.ty_inner(root, obj, path, depth);
        if obj.get("nullable") == Some(&Value::Bool(true)) {
            Ty::union(vec![ty, Ty::None])
        } else {
            ty
        }
    }

    fn ty_inner(
        &mut self,
        root: usize,
        obj: &Map<String, Value>,
        path: &[String],
        depth: usize,
    ) -> Ty {
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            return self.ref_ty(root, r, depth + 1);
        }
        if let Some(c) = obj.get("const") {
            return literal_ty(std::slice::from_ref(c), usize::MAX);
        }
        if let Some(Value::Array(values)) = obj.get("enum") {
            if values.len() > ENUM_CAP {
                return match declared_types(obj) {
                    Some(t) => {
                        Ty::union(t.iter().map(|t| scalar_ty(t).unwrap_or(Ty::Any)).collect())
                    }
                    None => literal_ty(values, 0),
                };
            }
            return literal_ty(values, ENUM_CAP);
        }
        if let Some(Value::Array(parts)) = obj.get("allOf")
            && !parts.is_empty()
        {
            return self.all_of(root, obj, parts, path, depth);
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(variants)) = obj.get(key)
                && !variants.is_empty()
            {
                // `{"type": "object", "properties": …, "anyOf": [{"required": […]}, …]}` only
                // constrains the object; its variants carry no type of their own.
                if has_type_info(obj)
                    && !variants
                        .iter()
                        .any(|v| v.as_object().is_some_and(has_type_info))
                {
                    break;
                }
                return self.variants(root, variants, path, depth);
            }
        }
        match declared_types(obj) {
            Some(types) => {
                let tys = types
                    .iter()
                    .map(|t| self.typed(root, obj, t, path, depth))
                    .collect();
                Ty::union(tys)
            }
            None if ["properties", "additionalProperties", "required"]
                .iter()
                .any(|k| obj.contains_key(*k)) =>
            {
                self.object(root, obj, path, depth)
            }
            None if obj.contains_key("items") || obj.contains_key("prefixItems") => {
                self.typed(root, obj, "array", path, depth)
            }
            None => Ty::Any,
        }
    }

    fn typed(
        &mut self,
        root: usize,
        obj: &Map<String, Value>,
        t: &str,
        path: &[String],
        depth: usize,
    ) -> Ty {
        if let Some(ty) = scalar_ty(t) {
            return ty;
        }
        match t {
            "array" => {
                let item_path = singular_path(path);
                let items: Vec<&Value> = match (obj.get("prefixItems"), obj.get("items")) {
                    (Some(Value::Array(prefix)), _) => prefix.iter().collect(),
                    (_, Some(Value::Array(tuple))) => tuple.iter().collect(),
                    (_, Some(items)) => vec![items],
                    _ => Vec::new(),
                };
                let item = Ty::union(
                    items
                        .into_iter()
                        .map(|i| self.ty(root, i, &item_path, depth + 1))
                        .collect(),
                );
                Ty::List(Box::new(item))
            }
            "object" => self.object(root, obj, path, depth),
            _ => Ty::Any,
        }
    }

    fn object(
        &mut self,
        root: usize,
        obj: &Map<String, Value>,
        path: &[String],
        depth: usize,
    ) -> Ty {
        match self.fields(root, obj, path, depth) {
            Some(fields) => self.add_class(path, fields, doc_of(obj)),
            None => match obj.get("additionalProperties") {
                Some(v @ Value::Object(_)) => {
                    Ty::Dict(Box::new(self.ty(root, v, &singular_path(path), depth + 1)))
                }
                _ => Ty::Dict(Box::new(Ty::Any)),
            },
        }
    }

    /// The fields of an object schema with at least one property.
    fn fields(
        &mut self,
        root: usize,
        obj: &Map<String, Value>,
        path: &[String],
        depth: usize,
    ) -> Option<Vec<Field>> {
        let props = obj
            .get("properties")?
            .as_object()
            .filter(|p| !p.is_empty())?;
        let required = required_set(obj);
        let mut fields = Vec::with_capacity(props.len());
        for (key, schema) in props {
            let mut sub = path.to_vec();
            sub.push(key.clone());
            fields.push(Field {
                key: key.clone(),
                ty: self.ty(root, schema, &sub, depth + 1),
                required: required.contains(key.as_str()),
                doc: field_doc(key, schema),
            });
        }
        Some(fields)
    }

    /// A class for `fields`, shared with an identical one already made.
    fn add_class(&mut self, path: &[String], fields: Vec<Field>, doc: String) -> Ty {
        let mut shape = doc.clone();
        for f in &fields {
            shape.push_str(&format!(
                "\0{}\x01{}\x01{}\x01{}",
                f.key,
                self.render(&f.ty),
                f.required,
                f.doc
            ));
        }
        if let Some(&i) = self.shapes.get(&shape) {
            return Ty::Class(i);
        }
        let name = self.class_name(path);
        self.classes.push(Class { name, doc, fields });
        let i = self.classes.len() - 1;
        self.shapes.insert(shape, i);
        Ty::Class(i)
    }

    /// The shortest free name built from the end of `path` (`Entity`, then `ResultEntity`, …),
    /// else a numbered one (`Entity2`).
    fn class_name(&mut self, path: &[String]) -> String {
        let parts: Vec<&str> = path.iter().map(String::as_str).collect();
        for k in 1..=parts.len() {
            let candidate = class_name(&parts[parts.len() - k..]);
            if !self.names.is_taken(&candidate) {
                return self.names.claim(&candidate);
            }
        }
        let last = parts.last().copied().unwrap_or("Item");
        self.names.claim(&class_name(&[last]))
    }

    fn ref_ty(&mut self, root: usize, r: &str, depth: usize) -> Ty {
        let key = (root, r.to_string());
        match self.refs.get(&key) {
            Some(RefState::Class(i)) => return Ty::Class(*i),
            Some(RefState::InProgress) => return Ty::Any,
            Some(RefState::Done(ty)) => return ty.clone(),
            None => {}
        }
        let Some(target) = self.resolve(root, r) else {
            return Ty::Any;
        };
        let path = vec![self.ref_name(root, r)];
        let target_obj = target.as_object();
        let is_class = target_obj
            .and_then(|o| o.get("properties"))
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        if let (true, Some(obj)) = (is_class, target_obj) {
            // Claim the class first so recursive references find it.
            let name = self.class_name(&path);
            self.classes.push(Class {
                name,
                doc: doc_of(obj),
                fields: Vec::new(),
            });
            let i = self.classes.len() - 1;
            self.refs.insert(key, RefState::Class(i));
            let fields = self.fields(root, obj, &path, depth + 1).unwrap_or_default();
            self.classes[i].fields = fields;
            return Ty::Class(i);
        }
        self.refs.insert(key.clone(), RefState::InProgress);
        let ty = self.ty(root, target, &path, depth + 1);
        self.refs.insert(key, RefState::Done(ty.clone()));
        ty
    }

    fn resolve(&self, root: usize, r: &str) -> Option<&'s Value> {
        let base = self.roots.get(root)?.0;
        let fragment = r.strip_prefix('#')?;
        if fragment.is_empty() {
            return Some(base);
        }
        base.pointer(&percent_decode(fragment))
    }

    fn ref_name(&self, root: usize, r: &str) -> String {
        match r.rsplit_once('/') {
            Some((_, last)) if r != "#" && !last.is_empty() => {
                percent_decode(last).replace("~1", "/").replace("~0", "~")
            }
            _ => self
                .roots
                .get(root)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
        }
    }

    fn all_of(
        &mut self,
        root: usize,
        obj: &Map<String, Value>,
        parts: &[Value],
        path: &[String],
        depth: usize,
    ) -> Ty {
        let own_props = obj
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty());
        if parts.len() == 1 && !own_props {
            let ty = self.ty(root, &parts[0], path, depth + 1);
            return if obj.get("nullable") == Some(&Value::Bool(true)) {
                Ty::union(vec![ty, Ty::None])
            } else {
                ty
            };
        }
        let resolved: Vec<Map<String, Value>> =
            parts.iter().map(|p| self.flatten(root, p, depth)).collect();
        if resolved.iter().all(is_object_schema) {
            let mut merged = obj.clone();
            merged.remove("allOf");
            for part in &resolved {
                merge_object(&mut merged, part);
            }
            return self.object(root, &merged, path, depth);
        }
        if !resolved.iter().any(has_type_info) {
            let mut own = obj.clone();
            own.remove("allOf");
            return self.ty_inner(root, &own, path, depth);
        }
        for part in parts {
            let ty = self.ty(root, part, path, depth + 1);
            if ty != Ty::Any {
                return ty;
            }
        }
        Ty::Any
    }

    /// `schema` with `$ref`s followed and nested `allOf`s merged, for merging into a parent.
    fn flatten(&self, root: usize, schema: &Value, depth: usize) -> Map<String, Value> {
        let mut current = schema;
        for _ in 0..8 {
            match current
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| self.resolve(root, r))
            {
                Some(target) => current = target,
                None => break,
            }
        }
        let mut out = current.as_object().cloned().unwrap_or_default();
        if let Some(Value::Array(parts)) = out.remove("allOf")
            && depth < MAX_DEPTH
        {
            for part in &parts {
                let flat = self.flatten(root, part, depth + 1);
                merge_object(&mut out, &flat);
            }
        }
        out
    }

    fn variants(&mut self, root: usize, variants: &[Value], path: &[String], depth: usize) -> Ty {
        let objects = variants
            .iter()
            .filter(|v| is_object_schema(&self.flatten(root, v, depth)))
            .count();
        let mut tys = Vec::with_capacity(variants.len());
        for (i, v) in variants.iter().enumerate() {
            let sub = if objects > 1 {
                variant_path(path, &self.flatten(root, v, depth), i)
            } else {
                path.to_vec()
            };
            tys.push(self.ty(root, v, &sub, depth + 1));
        }
        Ty::union(tys)
    }

    /// The Python spelling of `ty`.
    pub(crate) fn render(&self, ty: &Ty) -> String {
        match ty {
            Ty::Any => "Any".into(),
            Ty::Str => "str".into(),
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::None => "None".into(),
            Ty::Literal(values) => format!("Literal[{}]", values.join(", ")),
            Ty::List(item) => format!("list[{}]", self.render(item)),
            Ty::Dict(value) => format!("dict[str, {}]", self.render(value)),
            Ty::Class(i) => self
                .classes
                .get(*i)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "Any".into()),
            Ty::Union(members) => members
                .iter()
                .map(|m| self.render(m))
                .collect::<Vec<_>>()
                .join(" | "),
        }
    }

    /// `ty` as a value in a functional `TypedDict` (evaluated at import time): quoted when it
    /// names a class, which may be defined later or be the class itself.
    pub(crate) fn render_runtime(&self, ty: &Ty) -> String {
        let text = self.render(ty);
        // A plain name (`str`, `Any`) is fine as it is; anything else is quoted, so that
        // `X | None` and `list[X]` import on Python 3.8–3.9 and classes may come later.
        let plain = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain && !ty.mentions_class() {
            text
        } else if text.contains('\'') || text.contains('\\') {
            py_str(&text)
        } else {
            format!("'{text}'")
        }
    }

    /// The class indices `ty` mentions, in order of appearance.
    pub(crate) fn classes_in(&self, ty: &Ty, out: &mut Vec<usize>) {
        match ty {
            Ty::Class(i) if !out.contains(i) => out.push(*i),
            Ty::List(t) | Ty::Dict(t) => self.classes_in(t, out),
            Ty::Union(ms) => ms.iter().for_each(|m| self.classes_in(m, out)),
            _ => {}
        }
    }
}

/// The properties of a tool's input, as parameters: `None` when the schema names none at all
/// (the tool then takes any arguments), else `(key, schema, required)` in schema order.
pub(crate) fn parameters(input: &Value) -> Option<Vec<(String, Value, bool)>> {
    let mut types = Types::new(&[]);
    let root = types.add_root(input, String::new());
    let mut view = types.flatten(root, input, 0);
    for key in ["anyOf", "oneOf"] {
        if let Some(Value::Array(variants)) = view.remove(key) {
            // Each variant is one way to call the tool: offer every property, require only
            // what all variants require.
            let flat: Vec<Map<String, Value>> =
                variants.iter().map(|v| types.flatten(root, v, 0)).collect();
            if flat.iter().any(|v| v.contains_key("properties")) {
                let common: Vec<String> = flat
                    .first()
                    .map(required_set)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| flat.iter().all(|v| required_set(v).contains(r)))
                    .map(str::to_string)
                    .collect();
                for v in &flat {
                    let mut v = v.clone();
                    v.remove("required");
                    merge_object(&mut view, &v);
                }
                let mut req = required_set(&view)
                    .into_iter()
                    .map(str::to_string)
                    .collect::<Vec<_>>();
                req.extend(common);
                view.insert("required".into(), Value::from(req));
            }
        }
    }
    let props = view.get("properties")?.as_object()?;
    let required = required_set(&view);
    Some(
        props
            .iter()
            .map(|(k, v)| (k.clone(), v.clone(), required.contains(k.as_str())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn render(schema: Value) -> (String, Vec<String>) {
        let mut types = Types::new(&[]);
        let root = types.add_root(&schema, "Root".into());
        let ty = types.root_ty(root);
        let classes = types.classes.iter().map(|c| c.name.clone()).collect();
        (types.render(&ty), classes)
    }

    #[test]
    fn schemas_to_annotations() {
        let cases = [
            (json!({"type": "string"}), "str"),
            (json!({"type": ["integer", "null"]}), "int | None"),
            (json!({"type": "number", "nullable": true}), "float | None"),
            (
                json!({"enum": ["a", 1, true, null]}),
                "Literal[\"a\", 1, True] | None",
            ),
            (json!({"const": "x"}), "Literal[\"x\"]"),
            (json!({"type": "array"}), "list[Any]"),
            (json!({"type": "object"}), "dict[str, Any]"),
            (
                json!({"additionalProperties": {"type": "integer"}}),
                "dict[str, int]",
            ),
            (json!({}), "Any"),
            (json!(true), "Any"),
            (json!({"$ref": "#/nowhere"}), "Any"),
            (json!({"$ref": "http://example.com/schema"}), "Any"),
            (
                json!({"$ref": "#/$defs/L", "$defs": {"L": {"type": "array", "items": {"$ref": "#/$defs/L"}}}}),
                "list[Any]",
            ),
            (
                json!({"allOf": [{"type": "string"}, {"type": "integer"}]}),
                "str",
            ),
        ];
        for (schema, want) in cases {
            assert_eq!(render(schema.clone()).0, want, "{schema}");
        }
    }

    #[test]
    fn recursive_refs_make_one_class() {
        let schema = json!({
            "type": "object",
            "properties": {"child": {"$ref": "#"}, "items": {"type": "array", "items": {"$ref": "#/$defs/A%20B"}}},
            "$defs": {"A B": {"type": "object", "properties": {"me": {"$ref": "#/$defs/A%20B"}}}}
        });
        assert_eq!(
            render(schema),
            (
                "Root".to_string(),
                vec!["Root".to_string(), "AB".to_string()]
            )
        );
    }

    #[test]
    fn deep_nesting_stops() {
        let mut schema = json!({"type": "string"});
        for _ in 0..200 {
            schema = json!({"type": "array", "items": schema});
        }
        let (text, _) = render(schema);
        assert!(
            text.starts_with("list[list[") && text.contains("Any"),
            "{text}"
        );
    }
}
