// Package model holds yuqing's domain types: posts, their grades and rule
// matches, incidents and the events of their log. They sit below every
// package that works with them (classifier, incident, store, web), so the
// store is only the repository that keeps them and no package needs a
// mirror of its own.
package model
