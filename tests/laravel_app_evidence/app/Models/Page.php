<?php

namespace App\Models;

use App\Models\Concerns\HasDeleter;
use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Database\Eloquent\Relations\BelongsToMany;
use Illuminate\Database\Eloquent\Relations\HasMany;

class Page extends Entity
{
    use HasDeleter;

    // the owner key is left out: Category's $primaryKey (cat_id) on its $table (page_categories)
    public function category(): BelongsTo
    {
        return $this->belongsTo(Category::class, 'category_id');
    }

    public function attachments(): HasMany
    {
        return $this->hasMany(Attachment::class, 'uploaded_to');
    }

    // a pivot with a composite primary key and keys no name would give away
    public function editors(): BelongsToMany
    {
        return $this->belongsToMany(User::class, 'page_editors', 'page_ref', 'editor_ref');
    }

    // pages.reviewed_by is a string: no foreign key to an integer key
    public function reviewer(): BelongsTo
    {
        return $this->belongsTo(User::class, 'reviewed_by');
    }

    // pages.approved_by is a signed BIGINT: MariaDB wants users.id's BIGINT UNSIGNED
    public function approver(): BelongsTo
    {
        return $this->belongsTo(User::class, 'approved_by');
    }

    // users.email is not unique: nothing a foreign key could reference
    public function contact(): BelongsTo
    {
        return $this->belongsTo(User::class, 'contact_email', 'email');
    }

    // the database has no published_by
    public function publisher(): BelongsTo
    {
        return $this->belongsTo(User::class, 'published_by');
    }
}
