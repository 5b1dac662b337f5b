package store

import "time"

// Fingerprint is what grouping keeps of a filed post: a 64-bit SimHash of
// its tokens, the institution and place names it mentions and its key
// terms. IncidentID and FirstSeenAt are filled on reads.
type Fingerprint struct {
	PostID      int64
	IncidentID  int64
	SimHash     uint64
	Entities    []string
	Terms       []string
	FirstSeenAt time.Time
	// Keys are what the post is indexed under for FingerprintCandidates
	// (grouping derives them: SimHash bands, names); written, not read back.
	Keys []string
}

// CandidateQuery names the stored posts a new post could match, by the
// keys of Fingerprint.Keys. Only posts first seen at or after Since that
// belong to open incidents are candidates.
type CandidateQuery struct {
	Since time.Time
	// Posts indexed under one of Bands whose SimHash is within Distance
	// bits of SimHash: a SimHash band shared by chance (SimHashes of text
	// in one domain have skewed bits) costs an index entry, not a read.
	Bands    []string
	SimHash  uint64
	Distance int
	// Posts indexed under one of Names.
	Names []string
}

// Empty reports whether the query can find nothing.
func (q CandidateQuery) Empty() bool { return len(q.Bands) == 0 && len(q.Names) == 0 }
