//! A booking fact as a leaf of its vendor's audit log (filled in next).
