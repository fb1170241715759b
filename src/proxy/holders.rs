//! What keys, users, teams and customers have in common: a row of settings beside a live
//! account (spend, reservations, rate windows), and the process's cache of them, which reads a
//! row again from the database once another instance changed the tables (a new generation).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::limits::{Account, SharedAccount};

/// A stored row of a budget holder.
pub trait HolderRow: Clone + Default {
    /// The spend and end of budget period stored with the row (where its account starts).
    fn standing(&self) -> (f64, Option<i64>);
    /// The row as the live account says it stands now.
    fn set_standing(&mut self, spend: f64, reset_at: Option<i64>);
}

/// `HolderRow` for a row with `spend` and `budget_reset_at` fields.
macro_rules! holder_row {
    ($row:ty) => {
        impl $crate::proxy::holders::HolderRow for $row {
            fn standing(&self) -> (f64, Option<i64>) {
                (self.spend, self.budget_reset_at)
            }

            fn set_standing(&mut self, spend: f64, reset_at: Option<i64>) {
                self.spend = spend;
                self.budget_reset_at = reset_at;
            }
        }
    };
}
pub(crate) use holder_row;

/// A key, user, team or customer known to this process.
#[derive(Debug)]
pub struct Holder<R> {
    pub row: RwLock<R>,
    pub account: SharedAccount,
    /// The cache's generation when the row was read (older: read it again before use).
    loaded: AtomicU64,
    /// The budget alerts sent for the current crossing (bits of `alerts.rs`).
    pub alerted: AtomicU8,
}

impl<R: HolderRow> Holder<R> {
    pub fn new(row: R) -> Arc<Self> {
        let (spend, reset_at) = row.standing();
        Arc::new(Self {
            row: RwLock::new(row),
            account: Arc::new(Mutex::new(Account::new(spend, reset_at))),
            loaded: AtomicU64::new(0),
            alerted: AtomicU8::new(0),
        })
    }

    /// The row with the live spend and budget period.
    pub fn snapshot(&self) -> R {
        let mut row = self.row.read().map(|r| r.clone()).unwrap_or_default();
        if let Ok(a) = self.account.lock() {
            row.set_standing(a.spend, a.reset_at);
        }
        row
    }
}

/// The holders this process has seen, by id.
#[derive(Debug)]
pub struct HolderCache<R> {
    map: RwLock<HashMap<String, Arc<Holder<R>>>>,
    /// Bumped when another proxy instance changed the tables: cached rows are read again (their
    /// live accounts stay).
    generation: AtomicU64,
}

/// What the cache says of an id.
pub enum Lookup<R> {
    /// Up to date.
    Fresh(Arc<Holder<R>>),
    /// To be read from the database at this generation (with the cached holder, if any, whose
    /// account is to be kept).
    Read(u64, Option<Arc<Holder<R>>>),
}

impl<R: HolderRow> Default for HolderCache<R> {
    fn default() -> Self {
        Self { map: RwLock::new(HashMap::new()), generation: AtomicU64::new(0) }
    }
}

impl<R: HolderRow> HolderCache<R> {
    /// Makes every cached row be read again on its next use.
    pub fn reload_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn lookup(&self, id: &str) -> Lookup<R> {
        let generation = self.generation();
        let cached = self.get(id);
        match cached {
            Some(h) if h.loaded.load(Ordering::Acquire) >= generation => Lookup::Fresh(h),
            other => Lookup::Read(generation, other),
        }
    }

    /// Keeps what the database said of `id` at `generation`: a row (the settings of the holder
    /// already cached, whose account stays, or a new holder), or none (forgotten).
    pub fn keep(
        &self,
        id: &str,
        row: Option<R>,
        cached: Option<Arc<Holder<R>>>,
        generation: u64,
    ) -> Result<Option<Arc<Holder<R>>>, String> {
        let mut map = self.map.write().map_err(|_| "holder cache poisoned".to_owned())?;
        let Some(row) = row else {
            map.remove(id);
            return Ok(None);
        };
        let holder = match cached {
            Some(h) => {
                if let Ok(mut r) = h.row.write() {
                    *r = row;
                }
                h
            }
            None => map.entry(id.to_owned()).or_insert_with(|| Holder::new(row)).clone(),
        };
        holder.loaded.store(generation, Ordering::Release);
        Ok(Some(holder))
    }

    /// A new holder (just stored).
    pub fn insert(&self, id: String, row: R) -> Arc<Holder<R>> {
        let holder = Holder::new(row);
        if let Ok(mut m) = self.map.write() {
            m.insert(id, holder.clone());
        }
        holder
    }

    pub fn get(&self, id: &str) -> Option<Arc<Holder<R>>> {
        self.map.read().ok().and_then(|m| m.get(id).cloned())
    }

    pub fn remove(&self, id: &str) -> Option<Arc<Holder<R>>> {
        self.map.write().ok().and_then(|mut m| m.remove(id))
    }

    /// Files a holder under a new id (a key regenerated).
    pub fn rename(&self, old: &str, new: &str) -> Option<Arc<Holder<R>>> {
        let mut m = self.map.write().ok()?;
        let holder = m.remove(old)?;
        m.insert(new.to_owned(), holder.clone());
        Some(holder)
    }

    /// The row of `row`'s id as this process lives it (its spend is newer than the last flush).
    pub fn live(&self, id: &str, row: R) -> R {
        self.get(id).map_or(row, |h| h.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default, Debug, PartialEq)]
    struct Row {
        name: String,
        spend: f64,
        reset_at: Option<i64>,
    }

    impl HolderRow for Row {
        fn standing(&self) -> (f64, Option<i64>) {
            (self.spend, self.reset_at)
        }
        fn set_standing(&mut self, spend: f64, reset_at: Option<i64>) {
            self.spend = spend;
            self.reset_at = reset_at;
        }
    }

    #[test]
    fn a_new_generation_reads_rows_again_and_keeps_live_accounts() {
        let cache: HolderCache<Row> = HolderCache::default();
        let Lookup::Read(g, None) = cache.lookup("a") else { panic!("an unknown id is read") };
        let row = Row { name: "first".into(), spend: 1.0, reset_at: None };
        let h = cache.keep("a", Some(row), None, g).unwrap().unwrap();
        h.account.lock().unwrap().spend = 2.5; // spent since
        assert!(matches!(cache.lookup("a"), Lookup::Fresh(_)));
        cache.reload_all();
        let Lookup::Read(g, Some(stale)) = cache.lookup("a") else { panic!("stale after a new generation") };
        let again = Row { name: "renamed".into(), spend: 1.0, reset_at: None };
        let h2 = cache.keep("a", Some(again), Some(stale), g).unwrap().unwrap();
        assert!(Arc::ptr_eq(&h, &h2));
        assert_eq!(h2.snapshot(), Row { name: "renamed".into(), spend: 2.5, reset_at: None });
        // a row gone from the database is forgotten
        cache.reload_all();
        let Lookup::Read(g, stale) = cache.lookup("a") else { panic!() };
        assert!(cache.keep("a", None, stale, g).unwrap().is_none());
        assert!(cache.get("a").is_none());
        // renamed (a regenerated key): the same holder under its new id
        let h = cache.insert("old".into(), Row::default());
        assert!(Arc::ptr_eq(&cache.rename("old", "new").unwrap(), &h));
        assert!(cache.get("old").is_none() && cache.get("new").is_some());
    }
}
