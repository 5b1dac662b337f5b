package demo

// Places are the districts and counties of the fictional city 岚川市 that
// the sample posts name: the demo's configuration lists them (places), so
// that the overview shows the share of each.
var Places = []string{"岚北区", "岚南区", "川东区", "临江区", "白沙县", "岚川高新区"}
