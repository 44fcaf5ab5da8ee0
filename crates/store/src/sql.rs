//! Hand-written SQL for the aggregate queries the ORM's builder cannot express well (grouping
//! over joins, scope filters on a join alias), with placeholders in each backend's spelling.

use domain::org::DataScope;
use sea_orm::{DbBackend, Statement, Value};

/// A statement under construction: text and its bound values, in order.
pub(crate) struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    /// An empty statement for `backend`.
    pub(crate) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::with_capacity(256),
            values: Vec::new(),
        }
    }

    /// Appends SQL text.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.values.len().to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends `(v1, v2, …)` for a non-empty list (`(NULL)` for an empty one, which matches
    /// nothing in an `IN`).
    pub(crate) fn bind_list<V: Into<Value> + Clone>(&mut self, values: &[V]) -> &mut Self {
        self.push("(");
        if values.is_empty() {
            self.push("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v.clone());
        }
        self.push(")")
    }

    /// Appends ` AND <clients alias>.… ` restricting rows to the clients of `scope`.
    pub(crate) fn scope(&mut self, alias: &str, scope: &DataScope) -> &mut Self {
        match scope {
            DataScope::All => self,
            DataScope::Units(units) => {
                self.push(" AND ").push(alias).push(".org_unit_id IN ");
                self.bind_list(units)
            }
            DataScope::Owner(owner) => {
                self.push(" AND ")
                    .push(alias)
                    .push(".account_manager_id = ");
                self.bind(*owner)
            }
        }
    }

    /// The finished statement.
    pub(crate) fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}
