package store

import "github.com/yuqing-bureau/yuqing/taxonomy"

// The page of every collected post (舆情信息 in the console): each post
// with its latest grade and incident, filtered, searched and paged by
// keyset, newest first.
//
// Search runs on a post's search text: the gse tokens of its title and
// body, joined by spaces, which the grader stores with the grade
// (Tx.IndexPost). SQLite indexes it with FTS5 (unicode61), PostgreSQL
// with to_tsvector('simple', …) and a GIN index, so a two-character word
// such as 报销 or 断缴 is a token of its own and found, which a trigram
// index cannot do. Posts graded before the index existed are indexed by
// the grader's catch-up (UnindexedPosts).

// PostScope narrows the post list by what grading and filing made of a
// post, by its latest grade.
type PostScope string

const (
	ScopeAll         PostScope = ""            // every post, graded or not
	ScopeRelevant    PostScope = "relevant"    // relevant (incidents and 舆情信息)
	ScopeInformation PostScope = "information" // kept as 舆情信息
	ScopeIncident    PostScope = "incident"    // filed into an incident
	ScopeIrrelevant  PostScope = "irrelevant"  // graded not relevant
)

// PostFilter selects a page of posts, newest first: by id, the order the
// posts were first stored in (first_seen_at is given at the same moment,
// so the orders differ only for posts stored within milliseconds of each
// other by different crawls). The search index keeps posts in id order,
// which lets a common word's first page be read without sorting its
// every match.
type PostFilter struct {
	ListFilter
	Scope    PostScope
	Source   string            // "": any
	Level    taxonomy.Level    // 0: any; of the latest grade
	Category taxonomy.Category // "": any; of the latest grade
	// Words are the search tokens, segmented as the search text is
	// (classifier.Engine.SearchWords): a post matches when its search
	// text holds every one. Empty: no search.
	Words []string
	// After is PostPage.Next of the page before; "" for the first page.
	After string
	Limit int // 0: DefaultPageSize; at most MaxPageSize
}

// PostCountCap bounds counting: a filter matching more posts has Total
// PostCountCap and TotalCapped set (the console says "1000+ 条"), so a
// common word over a million posts is not counted to the end.
const PostCountCap = 1000

// PostPage is one page of the post list.
type PostPage struct {
	Posts []GradedPost
	// Total is how many posts match, at most PostCountCap; TotalCapped
	// says that more match.
	Total       int
	TotalCapped bool
	Next        string // After for the next page; "" on the last page
}
