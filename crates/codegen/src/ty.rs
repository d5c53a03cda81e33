//! A Python type before rendering, and the scalar and literal types JSON Schema names
//! directly. Rendering needs class names, so it lives with the classes in [`crate::types`].

use serde_json::Value;

use crate::text::{literal_member, py_literal};

/// A Python type, before rendering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ty {
    Any,
    Str,
    Int,
    Float,
    Bool,
    None,
    /// Rendered literal members (never `None`, which is a separate union member).
    Literal(Vec<String>),
    List(Box<Ty>),
    /// `dict[str, T]`.
    Dict(Box<Ty>),
    /// A `TypedDict`, by index into `Types::classes`.
    Class(usize),
    Union(Vec<Ty>),
}

impl Ty {
    /// A flattened, deduplicated union: literals merged, `Any` absorbing, `None` last.
    pub(crate) fn union(members: Vec<Ty>) -> Ty {
        let mut out: Vec<Ty> = Vec::new();
        let mut literals: Vec<String> = Vec::new();
        let mut has_none = false;
        let mut stack: Vec<Ty> = members.into_iter().rev().collect();
        while let Some(ty) = stack.pop() {
            match ty {
                Ty::Any => return Ty::Any,
                Ty::None => has_none = true,
                Ty::Union(inner) => stack.extend(inner.into_iter().rev()),
                Ty::Literal(values) => {
                    if literals.is_empty() {
                        out.push(Ty::Literal(Vec::new()));
                    }
                    for v in values {
                        if !literals.contains(&v) {
                            literals.push(v);
                        }
                    }
                }
                other => {
                    if !out.contains(&other) {
                        out.push(other);
                    }
                }
            }
        }
        for ty in &mut out {
            if let Ty::Literal(values) = ty {
                *values = std::mem::take(&mut literals);
            }
        }
        if has_none {
            out.push(Ty::None);
        }
        match out.len() {
            0 => Ty::Any,
            1 => out.pop().unwrap_or(Ty::Any),
            _ => Ty::Union(out),
        }
    }

    /// Whether `value` is a valid default for this type (used to show defaults in signatures).
    pub(crate) fn accepts(&self, value: &Value) -> bool {
        match self {
            Ty::Any => !value.is_null(),
            Ty::Str => value.is_string(),
            Ty::Int => value.is_i64() || value.is_u64(),
            Ty::Float => value.is_number(),
            Ty::Bool => value.is_boolean(),
            Ty::Literal(members) => py_literal(value).is_some_and(|l| members.contains(&l)),
            Ty::Union(members) => members.iter().any(|m| m.accepts(value)),
            _ => false,
        }
    }

    pub(crate) fn mentions_class(&self) -> bool {
        match self {
            Ty::Class(_) => true,
            Ty::List(t) | Ty::Dict(t) => t.mentions_class(),
            Ty::Union(ms) => ms.iter().any(Ty::mentions_class),
            _ => false,
        }
    }
}

/// The type a JSON Schema `type` name stands for, when it is a scalar.
pub(crate) fn scalar_ty(t: &str) -> Option<Ty> {
    Some(match t {
        "string" => Ty::Str,
        "integer" => Ty::Int,
        "number" => Ty::Float,
        "boolean" => Ty::Bool,
        "null" => Ty::None,
        _ => return None,
    })
}

/// `Literal[…]` of `values` when there are at most `cap` and each is a literal; else the
/// union of their base types.
pub(crate) fn literal_ty(values: &[Value], cap: usize) -> Ty {
    let literals: Option<Vec<String>> = values
        .iter()
        .filter(|v| !v.is_null())
        .map(literal_member)
        .collect();
    let has_null = values.iter().any(Value::is_null);
    let base = match literals {
        Some(l) if l.len() <= cap && !l.is_empty() => Ty::Literal(l),
        _ => Ty::union(
            values
                .iter()
                .filter(|v| !v.is_null())
                .map(value_ty)
                .collect(),
        ),
    };
    if has_null {
        Ty::union(vec![base, Ty::None])
    } else {
        base
    }
}

/// The type of a JSON value (for enums that cannot be a `Literal`).
fn value_ty(value: &Value) -> Ty {
    match value {
        Value::Null => Ty::None,
        Value::Bool(_) => Ty::Bool,
        Value::Number(n) if n.is_f64() => Ty::Float,
        Value::Number(_) => Ty::Int,
        Value::String(_) => Ty::Str,
        Value::Array(_) => Ty::List(Box::new(Ty::Any)),
        Value::Object(_) => Ty::Dict(Box::new(Ty::Any)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unions_flatten_merge_and_absorb() {
        let lit = |v: &[&str]| Ty::Literal(v.iter().map(|s| s.to_string()).collect());
        let u = Ty::union(vec![
            Ty::None,
            lit(&["\"a\""]),
            Ty::Union(vec![Ty::Str, lit(&["\"b\"", "\"a\""])]),
        ]);
        assert_eq!(
            u,
            Ty::Union(vec![lit(&["\"a\"", "\"b\""]), Ty::Str, Ty::None])
        );
        assert_eq!(Ty::union(vec![Ty::Int, Ty::Any]), Ty::Any);
        assert_eq!(Ty::union(vec![Ty::Int, Ty::Int]), Ty::Int);
        assert_eq!(Ty::union(vec![]), Ty::Any);
    }
}
