"""SQL of the trigger that keeps `created` and `created_at` in step (0.1.1 to 0.2.0)."""

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION product_product_sync_created() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.created_at IS NULL THEN
            NEW.created_at := NEW.created;
        ELSIF NEW.created IS NULL THEN
            NEW.created := NEW.created_at;
        END IF;
    ELSIF NEW.created IS DISTINCT FROM OLD.created THEN
        NEW.created_at := NEW.created;
    ELSIF NEW.created_at IS DISTINCT FROM OLD.created_at THEN
        NEW.created := NEW.created_at;
    ELSIF NEW.created_at IS NULL THEN
        NEW.created_at := NEW.created;
    END IF;
    RETURN NEW;
END
$$;
"""
CREATE_TRIGGER = """
CREATE OR REPLACE TRIGGER product_product_sync_created
BEFORE INSERT OR UPDATE OF created, created_at ON product_product
FOR EACH ROW EXECUTE FUNCTION product_product_sync_created();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS product_product_sync_created ON product_product;"
DROP_FUNCTION = "DROP FUNCTION IF EXISTS product_product_sync_created();"
