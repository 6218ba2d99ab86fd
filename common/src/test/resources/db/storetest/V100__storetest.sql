-- A mediator's own migration (versions >= 100), for StateStoreTest.
CREATE TABLE storetest_extra (id INTEGER NOT NULL PRIMARY KEY, label VARCHAR(50));
INSERT INTO storetest_extra (id, label) VALUES (1, 'from the mediator''s own migration');
