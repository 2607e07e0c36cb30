module cloaktls.test/gopeer

go 1.26
