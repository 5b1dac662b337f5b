package cluster

// Abandon makes the node's Run end, once its context is done, as a killed
// process would: leases, leadership and row left behind.
func (n *Node) Abandon() { n.abandon.Store(true) }
